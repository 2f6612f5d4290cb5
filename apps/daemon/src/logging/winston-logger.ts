import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { once } from 'node:events'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'

import winston from 'winston'

import type { LogFields, Logger } from '@node/shared-kernel'

import { redactText, redactValue } from './redact.js'

/** Name of the log file inside `system.log_directory` (behaviour.md §16). */
export const LOG_FILE_NAME = 'wings.log'

export interface WinstonLoggerOptions {
  /** Debug lines are written only when true (config `debug` or the `--debug` flag). */
  readonly debug: boolean
  /** When set, JSON lines are appended to `<logDirectory>/wings.log` (directory created, 0700). */
  readonly logDirectory?: string
  /**
   * Human-readable lines: `true` (default) to stdout, `false` for none, or a stream of your own.
   * Coloured when the stream is a TTY, unless `colors` says otherwise.
   */
  readonly console?: boolean | NodeJS.WritableStream
  readonly colors?: boolean
  /** Literal secrets (the node token) masked wherever they appear; see setSecrets. */
  readonly secrets?: readonly string[]
}

/** The daemon's Logger: the shared-kernel port plus what the composition root controls. */
export interface DaemonLogger extends Logger {
  child(fields: LogFields): DaemonLogger
  /** Absolute path of the JSON log file, when there is one. */
  readonly logFile: string | undefined
  /** Switches debug lines on or off (e.g. after `POST /api/update` changed `debug`). */
  setDebug(debug: boolean): void
  /** Replaces the literal secrets masked in every line (e.g. after a token rotation). */
  setSecrets(secrets: readonly string[]): void
  /** Reopens the log file, e.g. on SIGHUP after logrotate moved it away. */
  reopen(): Promise<void>
  /** Writes out what is buffered and closes the log file. The logger must not be used after. */
  close(): Promise<void>
}

type Level = 'debug' | 'info' | 'warn' | 'error'

// Winston reserves these info properties; fields with these names are renamed, not lost.
const RESERVED = new Set(['level', 'message', 'time', 'splat', 'stack'])

interface State {
  readonly winston: winston.Logger
  secrets: readonly string[]
  file: { transport: winston.transport; stream: WriteStream } | undefined
  readonly logFile: string | undefined
  closing?: Promise<void>
}

/**
 * A Logger on winston: human-readable lines on the console, JSON lines in the log file, with
 * secrets (tokens, Authorization values, URL credentials and queries) masked in messages and
 * fields. Field names follow Wings (`server_id`, `request_id`, ...).
 */
export function createWinstonLogger(options: WinstonLoggerOptions): DaemonLogger {
  const transports: winston.transport[] = []
  const consoleStream =
    options.console === false
      ? undefined
      : options.console === true || options.console === undefined
        ? process.stdout
        : options.console
  if (consoleStream) {
    const colors = options.colors ?? (consoleStream as { isTTY?: boolean }).isTTY === true
    transports.push(
      new winston.transports.Stream({
        stream: consoleStream,
        format: winston.format.printf((info) => humanLine(info, colors)),
      }),
    )
  }
  const logFile =
    options.logDirectory === undefined
      ? undefined
      : path.resolve(options.logDirectory, LOG_FILE_NAME)
  const file = logFile === undefined ? undefined : openFile(logFile)
  if (file) transports.push(file.transport)

  const state: State = {
    winston: winston.createLogger({
      level: options.debug ? 'debug' : 'info',
      levels: { error: 0, warn: 1, info: 2, debug: 3 },
      exitOnError: false,
      transports,
    }),
    secrets: options.secrets ?? [],
    file,
    logFile,
  }
  return new WinstonLogger(state, {})
}

class WinstonLogger implements DaemonLogger {
  readonly #state: State
  readonly #fields: LogFields

  constructor(state: State, fields: LogFields) {
    this.#state = state
    this.#fields = fields
  }

  get logFile(): string | undefined {
    return this.#state.logFile
  }

  debug(message: string, fields?: LogFields): void {
    this.#write('debug', message, fields)
  }
  info(message: string, fields?: LogFields): void {
    this.#write('info', message, fields)
  }
  warn(message: string, fields?: LogFields): void {
    this.#write('warn', message, fields)
  }
  error(message: string, fields?: LogFields): void {
    this.#write('error', message, fields)
  }

  child(fields: LogFields): DaemonLogger {
    return new WinstonLogger(this.#state, { ...this.#fields, ...fields })
  }

  setDebug(debug: boolean): void {
    this.#state.winston.level = debug ? 'debug' : 'info'
  }

  setSecrets(secrets: readonly string[]): void {
    this.#state.secrets = [...secrets]
  }

  async reopen(): Promise<void> {
    const state = this.#state
    if (!state.file || state.logFile === undefined) return
    const old = state.file
    state.file = openFile(state.logFile)
    state.winston.add(state.file.transport)
    state.winston.remove(old.transport)
    old.stream.end()
    await once(old.stream, 'close')
  }

  close(): Promise<void> {
    const state = this.#state
    state.closing ??= (async () => {
      const finished = once(state.winston, 'finish')
      state.winston.end()
      await finished
      if (state.file) {
        state.file.stream.end()
        await once(state.file.stream, 'close')
      }
    })()
    return state.closing
  }

  #write(level: Level, message: string, fields: LogFields | undefined): void {
    const state = this.#state
    if (!state.winston.isLevelEnabled(level)) return
    if (state.closing !== undefined) {
      // Work still ending during shutdown: winston's streams are closed and would throw.
      process.stderr.write(`${level}: ${redactText(message, state.secrets)} (after log close)\n`)
      return
    }
    const entry: Record<string, unknown> = {
      level,
      message: redactText(message, state.secrets),
      time: new Date().toISOString(),
    }
    const all = fields ? { ...this.#fields, ...fields } : this.#fields
    const safe = redactValue(all, state.secrets) as Record<string, unknown>
    for (const [key, value] of Object.entries(safe)) {
      if (value === undefined) continue
      entry[RESERVED.has(key) ? `field_${key}` : key] = value
    }
    state.winston.log(entry as unknown as winston.LogEntry)
  }
}

function openFile(file: string): { transport: winston.transport; stream: WriteStream } {
  // Start-up only (and SIGHUP): creating the directory synchronously keeps the factory synchronous.
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const stream = createWriteStream(file, { flags: 'a', mode: 0o600 })
  // A failing log file must not take the daemon down; the console still has every line.
  stream.on('error', () => undefined)
  const transport = new winston.transports.Stream({
    stream,
    format: winston.format.printf((info) => JSON.stringify(jsonEntry(info))),
  })
  return { transport, stream }
}

function jsonEntry(info: winston.Logform.TransformableInfo): Record<string, unknown> {
  const { level, message, time, ...rest } = info
  return { level, time, message, ...rest }
}

const COLORS: Readonly<Record<string, string>> = {
  debug: '\x1b[90m',
  info: '\x1b[36m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
}
const RESET = '\x1b[0m'
const BOLD = '\x1b[1m'

/** `2026-11-22 23:43:22.123  INFO message  server_id=… error="…"`, coloured on a TTY. */
function humanLine(info: winston.Logform.TransformableInfo, colors: boolean): string {
  const { level, message, time, ...fields } = info
  const stamp = typeof time === 'string' ? time.replace('T', ' ').replace('Z', '') : ''
  const label = String(level).toUpperCase().padStart(5)
  const pairs = Object.entries(fields).map(([k, v]) => `${k}=${formatValue(v)}`)
  const stack = fieldStack(fields)
  if (!colors) {
    return [`${stamp} ${label} ${String(message)}`, ...pairs].join('  ') + stack
  }
  const color = COLORS[String(level)] ?? ''
  const keyed = pairs.map((p) => p.replace(/^([^=]+)=/, `${color}$1${RESET}=`))
  return (
    [`\x1b[2m${stamp}${RESET} ${color}${BOLD}${label}${RESET} ${String(message)}`, ...keyed].join(
      '  ',
    ) + stack
  )
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value)
  if (typeof value === 'object' && value !== null && 'message' in value && 'name' in value) {
    return JSON.stringify((value as { message: unknown }).message)
  }
  return JSON.stringify(value) ?? String(value)
}

/** The stack of an error field, indented under the line. */
function fieldStack(fields: Record<string, unknown>): string {
  for (const value of Object.values(fields)) {
    if (typeof value === 'object' && value !== null && 'stack' in value) {
      const stack = value.stack
      if (typeof stack === 'string') return `\n${stack.replace(/^/gm, '    ')}`
    }
  }
  return ''
}

/** Creates `<logDirectory>` and `<logDirectory>/install` (0700) as Wings does at start-up (behaviour.md §1). */
export async function prepareLogDirectory(logDirectory: string): Promise<void> {
  await mkdir(path.join(logDirectory, 'install'), { recursive: true, mode: 0o700 })
}
