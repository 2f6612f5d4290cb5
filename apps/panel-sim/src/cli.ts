#!/usr/bin/env node
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

import { runConsole } from './console-client.js'
import { startPanelSim, type PanelSim, type PanelSimOptions } from './panel-sim.js'
import { sampleFixture } from './sample-fixture.js'

const USAGE = `Usage: panel-sim [options]
       panel-sim console <panel-sim-url> <server-uuid> [--user <id>]

Starts the Pterodactyl Panel simulator and prints its URL on the first line of stdout.
\`console\` opens a server's console websocket as the Panel's browser page does, with a token
from a running simulator: it prints the console (history first) and sends each line typed as a
command; end it with Ctrl-D.

  --fixture <file>        JSON fixture (default: the built-in sample: one node, one busybox server)
  --host <address>        listen address (default 127.0.0.1)
  --port <port>           listen port (default 0: any free port)
  --app-url <url>         the Panel's APP_URL (default: the simulator's own URL)
  --daemon-url <url>      connection address of the first node, e.g. http://127.0.0.1:8080
  --token-id <id>         the first node's daemon_token_id
  --token <token>         the first node's daemon_token
  --backup-driver <d>     wings (default) or s3
  --s3-base-url <url>     base URL of S3 part URLs (URL-only mode)
  --panel-version <v>     1.12 (default, scoped tokens) or 1.11 token format
  --print-config          also print the first node's config.yml (as the Panel shows it)
  -h, --help              this text
`

export interface CliIo {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
}

/** Parses the command line into simulator options; throws an Error with a usable message. */
export function parseCliArgs(argv: readonly string[]): {
  options: PanelSimOptions
  printConfig: boolean
  help: boolean
} {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      fixture: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'app-url': { type: 'string' },
      'daemon-url': { type: 'string' },
      'token-id': { type: 'string' },
      token: { type: 'string' },
      'backup-driver': { type: 'string' },
      's3-base-url': { type: 'string' },
      'panel-version': { type: 'string' },
      'print-config': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  })
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error('--port must be a port number from 0 to 65535')
  const driver = values['backup-driver']
  if (driver !== undefined && driver !== 'wings' && driver !== 's3')
    throw new Error('--backup-driver must be wings or s3')
  const version = values['panel-version']
  if (version !== undefined && version !== '1.11' && version !== '1.12')
    throw new Error('--panel-version must be 1.11 or 1.12')
  const node: Record<string, string> = {}
  if (values['daemon-url'] !== undefined) node['daemonUrl'] = values['daemon-url']
  if (values['token-id'] !== undefined) node['tokenId'] = values['token-id']
  if (values.token !== undefined) node['token'] = values.token
  return {
    options: {
      fixture: values.fixture ?? sampleFixture(),
      host: values.host ?? '127.0.0.1',
      port,
      ...(values['app-url'] !== undefined && { appUrl: values['app-url'] }),
      ...(Object.keys(node).length > 0 && { node: node }),
      ...(driver !== undefined && { backupDriver: driver }),
      ...(values['s3-base-url'] !== undefined && { s3: { baseUrl: values['s3-base-url'] } }),
      ...(version !== undefined && { panelVersion: version }),
    },
    printConfig: values['print-config'] ?? false,
    help: values.help ?? false,
  }
}

/** Starts the simulator from command-line arguments and prints how to reach it. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<PanelSim | null> {
  const parsed = parseCliArgs(argv)
  if (parsed.help) {
    io.stdout(USAGE)
    return null
  }
  const sim = await startPanelSim(parsed.options)
  const node = sim.node()
  io.stdout(`${sim.url}\n`)
  io.stdout(
    [
      `panel-sim listening on ${sim.url} (APP_URL ${sim.appUrl})`,
      `  node ${node.id}: daemon ${node.scheme}://${node.fqdn}:${node.daemonListen}, token id ${node.daemonTokenId}`,
      `  servers: ${sim.servers().length}, application API key: ${sim.applicationApiKey}`,
      `  recorded calls: GET ${sim.url}/__sim/calls`,
      '',
    ].join('\n'),
  )
  if (parsed.printConfig) io.stdout(sim.nodeConfigurationYaml())
  return sim
}

/** `panel-sim console <url> <server> [--user id]`; resolves to the exit code. */
export async function consoleCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { user: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  })
  const [simUrl, server, ...rest] = positionals
  if (simUrl === undefined || server === undefined || rest.length > 0) {
    throw new Error('console takes the simulator URL and a server uuid')
  }
  return runConsole({
    simUrl,
    server,
    ...(values.user === undefined ? {} : { user: values.user }),
    input: process.stdin,
    print: (line) => process.stdout.write(`${line}\n`),
  })
}

export async function main(): Promise<void> {
  if (process.argv[2] === 'console') {
    const code = await consoleCommand(process.argv.slice(3)).catch((err: unknown) => {
      process.stderr.write(
        `panel-sim console: ${err instanceof Error ? err.message : String(err)}\n`,
      )
      return 1
    })
    process.exit(code)
  }
  let sim: PanelSim | null
  try {
    sim = await runCli(process.argv.slice(2), {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
    })
  } catch (err) {
    process.stderr.write(`panel-sim: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`)
    process.exitCode = 2
    return
  }
  if (!sim) return
  const running = sim
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

const entry = process.argv[1]
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) await main()
