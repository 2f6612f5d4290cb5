// Checked by isDaemonError instead of instanceof: a consumer may end up with two copies of this package.
const kDaemonError = Symbol.for('@node/shared-kernel/DaemonError')

/**
 * The closed set of failures a caller can act on. The daemon maps each to one HTTP status
 * (apps/daemon/src/http/error-handler.ts); docs/errors.md lists the mapping.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INVALID'
  | 'QUOTA_EXCEEDED'
  | 'TOO_LARGE'
  | 'NOT_RUNNING'
  | 'TIMEOUT'

/** A failure the caller can act on. `message` is shown to Panel users verbatim, as spec/ words it. */
export abstract class DaemonError extends Error {
  abstract readonly code: ErrorCode
  readonly [kDaemonError] = true

  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
  }
}

export class BadRequestError extends DaemonError {
  readonly code = 'BAD_REQUEST'
}
/** The caller did not present credentials at all. */
export class UnauthorizedError extends DaemonError {
  readonly code = 'UNAUTHORIZED'
}
export class DeniedError extends DaemonError {
  readonly code = 'DENIED'
}
export class NotFoundError extends DaemonError {
  readonly code = 'NOT_FOUND'
}
/** The server is in a state that forbids the action (installing, transferring, locked…). */
export class ConflictError extends DaemonError {
  readonly code = 'CONFLICT'
}
/** The request was understood but its content failed validation (the reference's 422). */
export class InvalidError extends DaemonError {
  readonly code = 'INVALID'
}
export class QuotaExceededError extends DaemonError {
  readonly code = 'QUOTA_EXCEEDED'
}
export class TooLargeError extends DaemonError {
  readonly code = 'TOO_LARGE'
}
/** The action needs a running server process and there is none (the reference's 502). */
export class NotRunningError extends DaemonError {
  readonly code = 'NOT_RUNNING'
}
export class TimeoutError extends DaemonError {
  readonly code = 'TIMEOUT'
}

export function isDaemonError(value: unknown): value is DaemonError {
  return typeof value === 'object' && value !== null && kDaemonError in value
}
