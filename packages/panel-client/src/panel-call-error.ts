import { isJsonObject } from './wire-reader.js'

/** Used when an error answer carries no `errors` list, as the reference does. */
export const MISSING_RESPONSE_CODE = '_MissingResponseCode'
const MISSING_RESPONSE_DETAIL = 'No error response returned from API endpoint.'

/** The Panel's own error, decoded from `{"errors":[{"code","status","detail"}]}`. */
export interface PanelErrorResponse {
  readonly status: number
  readonly code: string
  readonly detail: string
}

/**
 * Decodes an error answer the way the reference does: the first entry of `errors`, or
 * `_MissingResponseCode` when the body holds none (not JSON, empty list, wrong shape).
 */
export function decodePanelError(status: number, body: Buffer | string): PanelErrorResponse {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString())
  } catch {
    parsed = undefined
  }
  const errors = isJsonObject(parsed) ? parsed.errors : undefined
  const first: unknown = Array.isArray(errors) ? errors[0] : undefined
  if (!isJsonObject(first)) {
    return { status, code: MISSING_RESPONSE_CODE, detail: MISSING_RESPONSE_DETAIL }
  }
  return {
    status,
    code: typeof first.code === 'string' ? first.code : '',
    detail: typeof first.detail === 'string' ? first.detail : '',
  }
}

/** The reference's wording, kept verbatim: `Error response from Panel: <code>: <detail> (HTTP/<status>)`. */
export function formatPanelError(error: PanelErrorResponse): string {
  return `Error response from Panel: ${error.code}: ${error.detail} (HTTP/${error.status})`
}

export interface PanelCallErrorOptions extends ErrorOptions {
  /** What the daemon was doing, as a verb phrase: `fetch server configuration`. */
  readonly action: string
  /** Method and path of the call: `GET /api/remote/servers/<uuid>`. */
  readonly call: string
  readonly attempts: number
  /** Set when the Panel answered with an error status. */
  readonly response?: PanelErrorResponse
}

/**
 * A call to the Panel failed for good (after the retries of §1.1, where they apply). The message
 * names the call and ends with the Panel's decoded error or the network failure.
 */
export class PanelCallError extends Error {
  readonly action: string
  readonly call: string
  readonly attempts: number
  /** The HTTP status of the Panel's answer; undefined when none arrived. */
  readonly status: number | undefined
  /** The Panel's `errors[0].code` (`RecordNotFoundException`), or `_MissingResponseCode`. */
  readonly panelCode: string | undefined
  readonly detail: string | undefined

  constructor(reason: string, options: PanelCallErrorOptions) {
    const tries = options.attempts > 1 ? ` (after ${options.attempts} attempts)` : ''
    super(`failed to ${options.action} (${options.call}): ${reason}${tries}`, options)
    this.name = 'PanelCallError'
    this.action = options.action
    this.call = options.call
    this.attempts = options.attempts
    this.status = options.response?.status
    this.panelCode = options.response?.code
    this.detail = options.response?.detail
  }
}
