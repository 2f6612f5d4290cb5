import { access } from 'node:fs/promises'

import { loadConfig } from '../config/load-config.js'
import { DEFAULT_CONFIG_PATH } from '../config/schema.js'
import type { StartArgs } from './args.js'
import { startEmbedded } from './embedded.js'
import { runUntilSignal, startOrExplain } from './run-daemon.js'

/**
 * `wings [--config PATH] [--debug]`. With no config file at the default path and no `--config`,
 * the embedded default runs instead: a Panel simulator and the daemon on loopback.
 */
export async function startCommand(args: StartArgs): Promise<number> {
  if (args.config === DEFAULT_CONFIG_PATH && !(await exists(DEFAULT_CONFIG_PATH))) {
    return startEmbedded(args)
  }
  const daemon = await startOrExplain(async () => ({
    loaded: await loadConfig({ path: args.config }),
    debug: args.debug,
    ignoreCertificateErrors: args.ignoreCertificateErrors,
  }))
  return typeof daemon === 'number' ? daemon : runUntilSignal(daemon)
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}
