import {
  ConfigInvalidError,
  ConfigNotFoundError,
  configNotFoundNotice,
} from '../config/load-config.js'
import {
  PROCESS_STOP_GRACE_MS,
  startDaemon,
  type RunningDaemon,
  type StartDaemonOptions,
} from '../composition/daemon.js'
import { EXIT_CODES, StartupError } from '../composition/startup-error.js'
import { crashGuardLogsTo } from './crash-guard.js'

/** A stop that takes longer than this (a bug, a hung engine call) ends the process anyway. */
const STOP_DEADLINE_MS = PROCESS_STOP_GRACE_MS + 15_000

/**
 * Starts the daemon, or prints why it cannot in one line (no stack) and resolves to the exit
 * code (docs/operations.md).
 */
export async function startOrExplain(
  options: () => Promise<StartDaemonOptions>,
): Promise<RunningDaemon | number> {
  try {
    return await startDaemon(await options())
  } catch (err) {
    if (err instanceof ConfigNotFoundError) {
      process.stderr.write(`${configNotFoundNotice(err.path)}\n`)
      return EXIT_CODES.config
    }
    if (err instanceof ConfigInvalidError) {
      process.stderr.write(`${err.message}\n`)
      return EXIT_CODES.config
    }
    if (err instanceof StartupError) {
      process.stderr.write(`Error: ${err.message}\n`)
      return err.exitCode
    }
    const text = err instanceof Error ? err.message : String(err)
    process.stderr.write(`Error: the daemon failed to start: ${text}\n`)
    return EXIT_CODES.software
  }
}

/**
 * Waits for SIGINT or SIGTERM, then stops the daemon: at most STOP_DEADLINE_MS, and a second
 * signal kills the servers' child processes and exits at once. Resolves to the exit code.
 */
export async function runUntilSignal(
  daemon: RunningDaemon,
  onStop?: () => Promise<void>,
): Promise<number> {
  crashGuardLogsTo(daemon.logger)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  daemon.logger.info('stopping', { signal, grace_ms: PROCESS_STOP_GRACE_MS })
  const exitNow = (why: string, code: number) => () => {
    process.stderr.write(`${why}: killing server processes and exiting now\n`)
    void daemon.abort().finally(() => process.exit(code))
  }
  const again = exitNow('second signal', EXIT_CODES.stopped)
  process.once('SIGINT', again)
  process.once('SIGTERM', again)
  const deadline = setTimeout(
    exitNow('the stop did not finish in time', EXIT_CODES.software),
    STOP_DEADLINE_MS,
  )
  try {
    await daemon.close()
    await onStop?.()
  } finally {
    clearTimeout(deadline)
    process.off('SIGINT', again)
    process.off('SIGTERM', again)
  }
  return EXIT_CODES.stopped
}
