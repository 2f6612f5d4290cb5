import type { RequestHandler, Response } from 'express'

import { NotFoundError } from '@node/shared-kernel'

export const SERVER_NOT_FOUND = 'The requested resource does not exist on this instance.'

/**
 * Loads `:server` into `res.locals.server`: an exact, case-sensitive match on a server of this
 * node, else the spec's 404 without a request id (http-api §2.4).
 */
export function serverExists<T>(lookup: (uuid: string) => T | undefined): RequestHandler {
  return (req, res, next) => {
    const uuid = req.params['server']
    const server = typeof uuid === 'string' ? lookup(uuid) : undefined
    if (server === undefined) {
      next(new NotFoundError(SERVER_NOT_FOUND))
      return
    }
    res.locals['server'] = server
    next()
  }
}

/** The server loaded by `serverExists`. */
export function serverOf<T>(res: Response): T {
  return res.locals['server'] as T
}
