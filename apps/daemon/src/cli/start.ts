import { access } from 'node:fs/promises'

import {
  ConfigInvalidError,
  ConfigNotFoundError,
  configNotFoundNotice,
  loadConfig,
} from '../config/load-config.js'
import { DEFAULT_CONFIG_PATH } from '../config/schema.js'
import { startDaemon, type RunningDaemon } from '../composition/daemon.js'
import type { StartArgs } from './args.js'
import { crashGuardLogsTo } from './crash-guard.js'
import { startEmbedded } from './embedded.js'

/**
 * `wings [--config PATH] [--debug]`. With no config file at the default path and no `--config`,
 * the embedded default runs instead: a Panel simulator and the daemon on loopback.
 */
export async function startCommand(args: StartArgs): Promise<number> {
  if (args.config === DEFAULT_CONFIG_PATH && !(await exists(DEFAULT_CONFIG_PATH))) {
    return startEmbedded(args)
  }
  let daemon: RunningDaemon
  try {
    const loaded = await loadConfig({ path: args.config })
    daemon = await startDaemon({
      loaded,
      debug: args.debug,
      ignoreCertificateErrors: args.ignoreCertificateErrors,
    })
  } catch (err) {
    if (err instanceof ConfigNotFoundError) {
      process.stderr.write(`${configNotFoundNotice(err.path)}\n`)
      return 1
    }
    if (err instanceof ConfigInvalidError) {
      process.stderr.write(`${err.message}\n`)
      return 1
    }
    throw err
  }
  return runUntilSignal(daemon)
}

/** Waits for SIGINT or SIGTERM, then stops the daemon cleanly; resolves to the exit code. */
export async function runUntilSignal(
  daemon: RunningDaemon,
  onStop?: () => Promise<void>,
): Promise<number> {
  crashGuardLogsTo(daemon.logger)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  daemon.logger.info('stopping', { signal })
  await daemon.close()
  await onStop?.()
  return 0
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}
