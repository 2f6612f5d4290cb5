import type { RequestHandler } from 'express'

import type { Logger } from '@node/shared-kernel'

import { requestIdOf } from './request-id.js'

/** One log line per finished request, with Wings' field names; query strings are left out (tokens). */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint()
    res.on('finish', () => {
      const fields = {
        request_id: requestIdOf(res),
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ip: req.ip,
        duration_ms: Number((process.hrtime.bigint() - started) / 1_000_000n),
      }
      if (res.statusCode >= 500) logger.warn('request finished', fields)
      else logger.debug('request finished', fields)
    })
    next()
  }
}
