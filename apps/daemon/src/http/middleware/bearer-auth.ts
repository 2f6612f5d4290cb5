import { createHash, timingSafeEqual } from 'node:crypto'

import type { RequestHandler } from 'express'

import { DeniedError, UnauthorizedError } from '@node/shared-kernel'

const MISSING_AUTHORIZATION = 'The required authorization heads were not present in the request.'
const NOT_AUTHORIZED = 'You are not authorized to access this endpoint.'

/**
 * The node token check of http-api §2.3. The token is read on every request so a token rotated
 * through `POST /api/update` applies at once.
 */
export function bearerAuth(currentToken: () => string): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization
    const space = header === undefined ? -1 : header.indexOf(' ')
    if (header === undefined || space === -1 || header.slice(0, space) !== 'Bearer') {
      res.setHeader('WWW-Authenticate', 'Bearer')
      next(new UnauthorizedError(MISSING_AUTHORIZATION))
      return
    }
    if (!constantTimeEquals(header.slice(space + 1), currentToken())) {
      next(new DeniedError(NOT_AUTHORIZED))
      return
    }
    next()
  }
}

/** Compares digests so neither the content nor the length of the token leaks through timing. */
export function constantTimeEquals(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(a), digest(b)) && a.length === b.length
}
