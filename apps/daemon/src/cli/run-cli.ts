import { daemonVersion } from '../version.js'
import { parseCliArgs, UsageError } from './args.js'
import { configureCommand, terminalIo } from './configure.js'
import { diagnosticsCommand } from './diagnostics.js'
import { startEmbedded } from './embedded.js'
import { startCommand } from './start.js'

/** Dispatches `wings …` to its command; resolves to the process exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  let args
  try {
    args = parseCliArgs(argv)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`)
      return err.exitCode
    }
    throw err
  }
  switch (args.command) {
    case 'help':
      process.stdout.write(`${args.text}\n`)
      return 0
    case 'version':
      process.stdout.write(`wings v${await daemonVersion()}\n`)
      return 0
    case 'configure':
      return configureCommand(args, terminalIo())
    case 'diagnostics':
      return diagnosticsCommand(args, terminalIo(), { version: await daemonVersion() })
    case 'demo':
      return startEmbedded(args)
    case 'start':
      return startCommand(args)
  }
}
