import type { Response } from 'express'

/**
 * JSON as Go's encoder writes it: `<`, `>` and `&` escaped as \u003c, \u003e, \u0026. The Panel
 * does not care, but byte-for-byte equal bodies make the contract testable.
 */
export function toGoJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
}

/** Sends `body` as the reference daemon does, with `Content-Type: application/json; charset=utf-8`. */
export function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json; charset=utf-8').send(toGoJson(body))
}
