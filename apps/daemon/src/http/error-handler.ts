import type { ErrorRequestHandler, Request, Response } from 'express'

import { isFilesystemError } from '@node/filesystem-jail'
import { isDaemonError, type DaemonError, type ErrorCode, type Logger } from '@node/shared-kernel'

import { PanelUpdateRejectedError } from '../config/apply-panel-update.js'
import {
  BodyTooLargeError,
  FileNotFoundError,
  GENERIC_ERROR,
  MalformedBodyError,
} from './captured-errors.js'
import { sendJson } from './go-json.js'
import { requestIdOf } from './middleware/request-id.js'

const CLIENT_ABORTED = 'Request aborted by client.'

// The one place where core errors become HTTP. Statuses follow spec/ (which follows Wings, e.g.
// 400 rather than 413 for an oversized upload or a full disk), not HTTP textbook choices.
const STATUS: Readonly<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  TOO_LARGE: 400,
  QUOTA_EXCEEDED: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID: 422,
  NOT_RUNNING: 502,
  TIMEOUT: 504,
}

/** Maps a thrown error to the spec's `{ error, request_id? }` envelope (http-api §3). */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const requestId = requestIdOf(res)
    if (res.headersSent) {
      logger.warn('error after the response started', { request_id: requestId, err: describe(err) })
      res.destroy()
      return
    }
    if (isDaemonError(err)) {
      logger.debug('request failed', {
        request_id: requestId,
        code: err.code,
        url: req.originalUrl,
      })
      const body = carriesRequestId(err)
        ? { error: err.message, request_id: requestId }
        : { error: err.message }
      sendJson(res, STATUS[err.code], body)
      return
    }
    if (clientWentAway(req, res)) {
      sendJson(res, 400, { error: CLIENT_ABORTED, request_id: requestId })
      return
    }
    logger.error('unexpected error while handling request', {
      request_id: requestId,
      url: req.originalUrl,
      err: describe(err),
    })
    sendJson(res, 500, { error: GENERIC_ERROR, request_id: requestId })
  }
}

/** The errors the daemon reports as the reference's error middleware does. */
const CAPTURED = [
  MalformedBodyError,
  BodyTooLargeError,
  FileNotFoundError,
  PanelUpdateRejectedError,
]

/**
 * Whether the envelope carries the request id: yes for filesystem errors and the errors the
 * reference reports through its error middleware, no for a handler's own messages (http-api §3).
 */
function carriesRequestId(err: DaemonError): boolean {
  return isFilesystemError(err) || CAPTURED.some((type) => err instanceof type)
}

// Not `req.destroyed`: Node destroys a request once its body was read, which is no abort.
function clientWentAway(req: Request, res: Response): boolean {
  return req.readableAborted || req.socket.destroyed || res.destroyed
}

function describe(err: unknown): unknown {
  return err instanceof Error ? { message: err.message, stack: err.stack, cause: err.cause } : err
}
