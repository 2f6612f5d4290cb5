import { loadConfig } from '../config/load-config.js'
import type { StartArgs } from './args.js'
import { runUntilSignal, startOrExplain } from './run-daemon.js'

/**
 * `wings [--config PATH] [--debug]`. A missing file, at the default path too, prints the
 * reference's "Configuration File Not Found" notice (the demo runs only as `wings demo`).
 */
export async function startCommand(args: StartArgs): Promise<number> {
  const daemon = await startOrExplain(async () => ({
    loaded: await loadConfig({ path: args.config }),
    debug: args.debug,
    ignoreCertificateErrors: args.ignoreCertificateErrors,
  }))
  return typeof daemon === 'number' ? daemon : runUntilSignal(daemon)
}
