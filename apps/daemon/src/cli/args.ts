import { parseArgs, type ParseArgsOptionsConfig } from 'node:util'

import { DEFAULT_CONFIG_PATH } from '../config/schema.js'

/** Flags every command takes (Wings' persistent flags). */
interface CommonArgs {
  /** `--config`, as given (loadConfig resolves it against the working directory). */
  readonly config: string
  /** `--debug`: debug logging for this run, not written to the file. */
  readonly debug: boolean
}

/** `wings [--config PATH] [--debug] …`: run the daemon. */
export interface StartArgs extends CommonArgs {
  readonly command: 'start'
  /** `--ignore-certificate-errors`: do not verify the Panel's TLS certificate. */
  readonly ignoreCertificateErrors: boolean
}

/** `wings configure --panel-url URL --token TOKEN --node ID [--config-path P] [--override]`. */
export interface ConfigureArgs extends CommonArgs {
  readonly command: 'configure'
  readonly panelUrl: string | undefined
  readonly token: string | undefined
  readonly node: string | undefined
  /** Where the file is written; default /etc/pterodactyl/config.yml. */
  readonly configPath: string
  readonly override: boolean
  /** `--allow-insecure`: do not verify the Panel's TLS certificate (the Panel adds it in debug mode). */
  readonly allowInsecure: boolean
}

/** `wings diagnostics [--log-lines N] [--include-endpoints] [--exclude-logs]`. */
export interface DiagnosticsArgs extends CommonArgs {
  readonly command: 'diagnostics'
  readonly logLines: number
  /** Show the Panel URL, listen addresses and certificate paths instead of `{redacted}`. */
  readonly includeEndpoints: boolean
  readonly includeLogs: boolean
}

/** `wings demo [--debug]`: the embedded demo (a Panel simulator and the daemon on loopback). */
export interface DemoArgs {
  readonly command: 'demo'
  readonly debug: boolean
}

export type CliArgs =
  | StartArgs
  | ConfigureArgs
  | DiagnosticsArgs
  | DemoArgs
  | { readonly command: 'version' }
  | { readonly command: 'help'; readonly text: string }

/** Bad command-line input; `message` says what and how to get help. Exit code 2 by convention. */
export class UsageError extends Error {
  readonly exitCode = 2

  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

type Command = 'start' | 'configure' | 'diagnostics' | 'demo' | 'version' | 'help'

const COMMON = {
  config: { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies ParseArgsOptionsConfig

const OPTIONS = {
  start: {
    ...COMMON,
    'ignore-certificate-errors': { type: 'boolean' },
    'auto-tls': { type: 'boolean' },
    'tls-hostname': { type: 'string' },
  },
  configure: {
    ...COMMON,
    'panel-url': { type: 'string', short: 'p' },
    token: { type: 'string', short: 't' },
    node: { type: 'string', short: 'n' },
    'config-path': { type: 'string', short: 'c' },
    override: { type: 'boolean' },
    'allow-insecure': { type: 'boolean' },
  },
  diagnostics: {
    ...COMMON,
    'log-lines': { type: 'string' },
    'include-endpoints': { type: 'boolean' },
    'exclude-logs': { type: 'boolean' },
  },
  // The demo writes its own configuration: no --config.
  demo: {
    debug: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  },
  version: COMMON,
  help: COMMON,
} as const satisfies Record<Command, ParseArgsOptionsConfig>

/** docs/operations.md, "TLS": why there is no ACME client here. */
const AUTO_TLS_REFUSED =
  '--auto-tls is not supported: this daemon does not get certificates itself. Point ' +
  "api.ssl.cert and api.ssl.key at a certificate (certbot renews Let's Encrypt ones), " +
  'set api.ssl.enabled: true and start without --auto-tls.'
const COMMANDS = new Set<string>(['configure', 'diagnostics', 'demo', 'version', 'help'])
const DEFAULT_LOG_LINES = 200

/**
 * Parses the daemon's command line (without the node binary and script): Wings' commands and
 * flags, plus `--version` and `--help`. One leading `--` is skipped, as `pnpm wings -- --config x`
 * passes it. Throws UsageError for unknown commands or flags and missing or bad values.
 */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const args = argv[0] === '--' ? argv.slice(1) : [...argv]
  const { command, rest } = splitCommand(args)
  const name = command === 'start' ? 'wings' : `wings ${command}`
  let values: Record<string, string | boolean | undefined>
  let positionals: string[]
  try {
    const options: ParseArgsOptionsConfig = OPTIONS[command]
    const parsed = parseArgs({ args: rest, options, strict: true, allowPositionals: true })
    // No option is declared `multiple`, so every value is a string or a boolean.
    values = parsed.values as Record<string, string | boolean | undefined>
    positionals = parsed.positionals
  } catch (err) {
    throw new UsageError(
      `${describeParseError(err)} for "${name}". Run "${name} --help" for usage.`,
    )
  }
  if (positionals.length > 0 && command !== 'help') {
    throw new UsageError(
      `Unexpected argument "${positionals[0] ?? ''}" for "${name}". Run "${name} --help" for usage.`,
    )
  }
  if (values['version'] === true || command === 'version') return { command: 'version' }
  if (values['help'] === true) return { command: 'help', text: helpText(command) }
  if (command === 'help') return { command: 'help', text: helpText(topicOf(positionals[0])) }
  if (command === 'demo') return { command, debug: values['debug'] === true }

  const common: CommonArgs = {
    config: nonEmpty(values['config'], '--config') ?? DEFAULT_CONFIG_PATH,
    debug: values['debug'] === true,
  }
  switch (command) {
    case 'configure':
      return {
        ...common,
        command,
        panelUrl: nonEmpty(values['panel-url'], '--panel-url'),
        token: nonEmpty(values['token'], '--token'),
        node: nodeId(nonEmpty(values['node'], '--node')),
        configPath: nonEmpty(values['config-path'], '--config-path') ?? DEFAULT_CONFIG_PATH,
        override: values['override'] === true,
        allowInsecure: values['allow-insecure'] === true,
      }
    case 'diagnostics':
      return {
        ...common,
        command,
        logLines: logLines(values['log-lines']),
        includeEndpoints: values['include-endpoints'] === true,
        includeLogs: values['exclude-logs'] !== true,
      }
    default: {
      // Wings' flags for ACME certificates are known, so that a unit file written for Wings
      // gets this reason rather than "unknown flag"; never accepted and then ignored.
      if (values['auto-tls'] !== undefined || values['tls-hostname'] !== undefined) {
        throw new UsageError(AUTO_TLS_REFUSED)
      }
      return {
        ...common,
        command: 'start',
        ignoreCertificateErrors: values['ignore-certificate-errors'] === true,
      }
    }
  }
}

/** Finds the command word: the first argument that is neither a flag nor a flag's value. */
function splitCommand(args: readonly string[]): { command: Command; rest: string[] } {
  const takesValue = new Set<string>()
  for (const options of Object.values<ParseArgsOptionsConfig>(OPTIONS)) {
    for (const [long, option] of Object.entries(options)) {
      if (option.type !== 'string') continue
      takesValue.add(`--${long}`)
      if (option.short !== undefined) takesValue.add(`-${option.short}`)
    }
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ''
    if (arg === '--') break
    if (arg.startsWith('-')) {
      if (takesValue.has(arg)) i++
      continue
    }
    if (!COMMANDS.has(arg)) {
      throw new UsageError(`Unknown command "${arg}". Run "wings --help" for usage.`)
    }
    return { command: arg as Command, rest: [...args.slice(0, i), ...args.slice(i + 1)] }
  }
  return { command: 'start', rest: [...args] }
}

function describeParseError(err: unknown): string {
  const code = (err as { code?: string }).code
  const message = err instanceof Error ? err.message : String(err)
  const option = /'(-[^']*)'/.exec(message)?.[1]
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `Unknown flag ${option ?? message}`
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return option ? `Flag ${option.split(/[ ,]/)[0] ?? option} needs a value` : message
  }
  return message
}

function nonEmpty(value: string | boolean | undefined, flag: string): string | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined
  if (value.trim() === '') throw new UsageError(`Flag ${flag} needs a non-empty value.`)
  return value
}

function nodeId(value: string | undefined): string | undefined {
  if (value !== undefined && !/^\d+$/.test(value)) {
    throw new UsageError(
      `Flag --node must be the numeric id of the node in the Panel, not "${value}".`,
    )
  }
  return value
}

function logLines(value: string | boolean | undefined): number {
  if (value === undefined || typeof value === 'boolean') return DEFAULT_LOG_LINES
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 100_000) {
    throw new UsageError(
      `Flag --log-lines must be a whole number between 1 and 100000, not "${value}".`,
    )
  }
  return Number(value)
}

function topicOf(word: string | undefined): Command {
  return word === 'configure' || word === 'diagnostics' || word === 'demo' || word === 'version'
    ? word
    : 'start'
}

/** Usage text for `wings --help` and `wings <command> --help`. */
export function helpText(command: Command = 'start'): string {
  const common = [
    '      --config PATH   configuration file (default /etc/pterodactyl/config.yml)',
    '      --debug         log at debug level for this run (not written to the file)',
    '  -h, --help          show this help',
    '      --version       print the version and exit',
  ]
  switch (command) {
    case 'configure':
      return [
        "Fetch this node's configuration from the Panel and write the configuration file.",
        '',
        'Usage: wings configure --panel-url URL --token TOKEN --node ID [flags]',
        '',
        'Flags:',
        '  -p, --panel-url URL     base URL of the Panel',
        '  -t, --token TOKEN       application API key allowed to read nodes',
        '  -n, --node ID           numeric id of this node in the Panel',
        '  -c, --config-path PATH  where to write the file (default /etc/pterodactyl/config.yml)',
        '      --override          replace an existing file without asking',
        "      --allow-insecure    do not verify the Panel's TLS certificate",
        ...common,
      ].join('\n')
    case 'diagnostics':
      return [
        'Print a report about this node: versions, configuration (secrets redacted), Docker, the',
        "filesystem jail's backend and the latest log lines. Nothing is uploaded.",
        '',
        'Usage: wings diagnostics [flags]',
        '',
        'Flags:',
        '      --log-lines N        log lines to include (default 200)',
        '      --include-endpoints  show the Panel URL, addresses and certificate paths',
        '      --exclude-logs       leave the log lines out',
        ...common,
      ].join('\n')
    case 'demo':
      return [
        'Try the daemon out: a Panel simulator and the daemon on loopback, with a generated',
        'configuration and a sample server under .data/embedded/ of the working directory.',
        'Needs the repository checkout (./dev start runs it); a node runs with --config.',
        '',
        'Usage: wings demo [--debug]',
        '',
        'Flags:',
        '      --debug         log at debug level',
        '  -h, --help          show this help',
      ].join('\n')
    case 'version':
      return ['Print the version and exit.', '', 'Usage: wings version'].join('\n')
    default:
      return [
        'Runs the API server allowing programmatic control of game servers for the Panel.',
        '',
        'Usage: wings [flags]',
        '       wings configure --panel-url URL --token TOKEN --node ID [--config-path PATH] [--override]',
        '       wings diagnostics [--log-lines N]',
        '       wings demo',
        '       wings version',
        '',
        'Flags:',
        "      --ignore-certificate-errors  do not verify the Panel's TLS certificate",
        "      --auto-tls, --tls-hostname   Wings' ACME flags: refused (use api.ssl.cert and key)",
        ...common,
      ].join('\n')
  }
}
