import { randomUUID } from 'node:crypto'

import type { RequestHandler, Response } from 'express'

const HEADER = 'X-Request-Id'

/** Every response carries a fresh `X-Request-Id` (http-api §2.1); the Panel quotes it in errors. */
export const requestId: RequestHandler = (_req, res, next) => {
  res.setHeader(HEADER, randomUUID())
  next()
}

export function requestIdOf(res: Response): string {
  const value = res.getHeader(HEADER)
  return typeof value === 'string' ? value : ''
}
