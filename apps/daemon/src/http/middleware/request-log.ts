import type { Request, RequestHandler, Response } from 'express'

import type { Logger } from '@node/shared-kernel'

import { requestIdOf } from './request-id.js'

/**
 * One log line per finished request, with Wings' field names; query strings are left out
 * (tokens). `finished`, when given, hears of each request too, with its duration in seconds.
 */
export function requestLog(
  logger: Logger,
  finished?: (req: Request, res: Response, seconds: number) => void,
): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint()
    res.on('finish', () => {
      const elapsed = process.hrtime.bigint() - started
      finished?.(req, res, Number(elapsed) / 1e9)
      const fields = {
        request_id: requestIdOf(res),
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ip: req.ip,
        duration_ms: Number(elapsed / 1_000_000n),
      }
      if (res.statusCode >= 500) logger.warn('request finished', fields)
      else logger.debug('request finished', fields)
    })
    next()
  }
}
