import type { Logger } from '@node/shared-kernel'

/** The words every crash line starts with; the e2e harness fails a test that sees them. */
export const CRASH_MARKERS = ['unhandled rejection', 'uncaught exception'] as const

let logger: Logger | undefined

/**
 * Makes an error nobody handled impossible to miss: one line on stderr and in the daemon's log,
 * then exit code 70 (EX_SOFTWARE), so the service manager restarts a daemon whose state can no
 * longer be trusted. Such an error is a bug to fix, never something to survive.
 */
export function installCrashGuard(): void {
  const crash = (marker: (typeof CRASH_MARKERS)[number], err: unknown): void => {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err)
    process.stderr.write(`${marker}: ${detail}\n`)
    logger?.error(marker, { err })
    process.exit(70)
  }
  process.on('unhandledRejection', (reason) => crash('unhandled rejection', reason))
  process.on('uncaughtException', (err) => crash('uncaught exception', err))
}

/** Crash lines also go to the daemon's log once it has one. */
export function crashGuardLogsTo(next: Logger): void {
  logger = next
}
