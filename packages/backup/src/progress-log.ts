import type { Clock, LogFields, Logger } from '@node/shared-kernel'

/** Default spacing of progress lines in the daemon's log. */
const DEFAULT_PROGRESS_LOG_INTERVAL_MS = 5000

/**
 * Writes `message` with the fields `read()` gives to the log every `intervalMs` until the
 * returned function is called: long backups and restores show in the log as they go.
 */
export function startProgressLog(options: {
  readonly logger: Logger
  readonly clock: Clock
  readonly message: string
  readonly read: () => LogFields
  readonly intervalMs?: number
}): () => void {
  const intervalMs = options.intervalMs ?? DEFAULT_PROGRESS_LOG_INTERVAL_MS
  let cancel: (() => void) | undefined
  const tick = (): void => {
    options.logger.info(options.message, options.read())
    cancel = options.clock.setTimeout(tick, intervalMs)
  }
  cancel = options.clock.setTimeout(tick, intervalMs)
  return () => cancel?.()
}
