/** Whether `err` is a dockerode error for the HTTP status `status` (404 no such object, 409…). */
export function isDockerStatus(err: unknown, status: number): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { statusCode?: unknown }).statusCode === status
  )
}

/** A signal that aborts when any of `signals` does. */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined)
  return present.length === 1 ? (present[0] as AbortSignal) : AbortSignal.any(present)
}

/**
 * Why Docker refused a request: the `message` of its JSON error body (dockerode keeps it as
 * `json`), else the error's own message; '' when there is none.
 */
export function dockerReason(err: unknown): string {
  if (typeof err !== 'object' || err === null) return ''
  const body = (err as { json?: unknown }).json
  const fromBody =
    typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined
  if (typeof fromBody === 'string' && fromBody.trim() !== '') return fromBody.trim()
  const message = (err as { message?: unknown }).message
  return typeof message === 'string' ? message.trim() : ''
}
