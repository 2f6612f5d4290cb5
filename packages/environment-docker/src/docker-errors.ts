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
