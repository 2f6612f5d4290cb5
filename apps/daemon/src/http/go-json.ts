import type { Response } from 'express'

/**
 * JSON as Go's encoder writes it: `<`, `>` and `&` escaped as \u003c, \u003e, \u0026. The Panel
 * does not care, but byte-for-byte equal bodies make the contract testable.
 */
export function toGoJson(value: unknown): string {
  const json = JSON.stringify(value)
  // One scan in the common case (console lines rarely hold these), one replace otherwise.
  return HTML_CHARS.test(json) ? json.replace(HTML_CHARS_ALL, (c) => GO_ESCAPES[c] ?? c) : json
}

const HTML_CHARS = /[<>&]/
const HTML_CHARS_ALL = /[<>&]/g
const GO_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
}

/** Sends `body` as the reference daemon does, with `Content-Type: application/json; charset=utf-8`. */
export function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json; charset=utf-8').send(toGoJson(body))
}
