import { BadRequestError, NotFoundError, TooLargeError } from '@node/shared-kernel'

/** The reference's text for an error it did not expect, and for a body it could not bind. */
export const GENERIC_ERROR = 'An unexpected error was encountered while processing this request'

// The errors below are the ones the reference reports through its error middleware, whose
// envelope carries the request id (http-api §3); a handler's own messages go out without it.
// error-handler.ts tells them apart by class.

/** A body that is not the JSON the route binds: the generic 400. */
export class MalformedBodyError extends BadRequestError {
  constructor(options?: ErrorOptions) {
    super(GENERIC_ERROR, options)
  }
}

/** A body over the daemon's own cap (docs/compatibility.md). */
export class BodyTooLargeError extends TooLargeError {
  constructor(limitBytes: number) {
    super(`The request body is larger than the limit of ${limitBytes} bytes.`)
  }
}

/** The §3.1 not-found of a path the routes refuse themselves. */
export class FileNotFoundError extends NotFoundError {
  constructor() {
    super('The requested resources was not found on the system.')
  }
}
