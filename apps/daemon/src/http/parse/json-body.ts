import type { Request } from 'express'

import { BadRequestError } from '@node/shared-kernel'

import { BodyTooLargeError, MalformedBodyError } from '../captured-errors.js'

const NOT_PARSABLE =
  'The data passed in the request was not in a parsable format. Please try again.'
/** Our own cap: the reference reads JSON bodies without limit (docs/compatibility.md). */
const JSON_BODY_LIMIT_BYTES = 8 * 1024 * 1024

/**
 * Reads and parses a JSON request body with the reference's error semantics (http-api §3): an empty
 * body is "not in a parsable format" without a request id; malformed JSON is the generic 400 with
 * one. The Content-Type is not checked: the Panel labels every body JSON.
 */
export async function readJsonBody(
  req: Request,
  limitBytes = JSON_BODY_LIMIT_BYTES,
): Promise<unknown> {
  const raw = await readBody(req, limitBytes)
  if (raw.trim() === '') throw new BadRequestError(NOT_PARSABLE)
  try {
    return JSON.parse(raw) as unknown
  } catch (err) {
    throw invalidBody(err)
  }
}

/** The generic 400 the reference sends for malformed JSON, wrong types and failed bindings. */
export function invalidBody(cause?: unknown): BadRequestError {
  return new MalformedBodyError({ cause })
}

async function readBody(req: Request, limitBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limitBytes) throw tooLarge(limitBytes)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limitBytes) throw tooLarge(limitBytes)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function tooLarge(limitBytes: number): BodyTooLargeError {
  return new BodyTooLargeError(limitBytes)
}
