import type { Response } from 'express'

/**
 * Aborts when the client goes away before the response is complete (its connection closed), so
 * that work nobody waits for any more can stop. `close` also fires after a complete response;
 * that one aborts nothing.
 */
export function abortedWhenClientLeaves(res: Response): AbortSignal {
  const controller = new AbortController()
  res.once('close', () => {
    if (!res.writableFinished) {
      controller.abort(new Error('the client closed the connection before the answer'))
    }
  })
  return controller.signal
}
