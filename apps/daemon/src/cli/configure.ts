import { stat } from 'node:fs/promises'
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import path from 'node:path'
import { createInterface } from 'node:readline/promises'

import { mergePanelConfiguration } from '../config/apply-panel-update.js'
import { defaultConfig } from '../config/load-config.js'
import { saveConfig } from '../config/save-config.js'
import type { DaemonConfig } from '../config/schema.js'
import type { ConfigureArgs } from './args.js'

/** `wings configure` failed; `message` is what the CLI prints (panel-remote-calls.md, "Outside /api/remote"). */
export class ConfigureError extends Error {
  readonly exitCode = 1

  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ConfigureError'
  }
}

interface FetchNodeConfigurationOptions {
  /** The Panel's base URL; may include a sub-path. */
  readonly panelUrl: string
  /** An application API key with read access to nodes. */
  readonly token: string
  /** The node's numeric id. */
  readonly node: string
  /** Skip TLS certificate verification (`--allow-insecure`). */
  readonly allowInsecure?: boolean
  /** Default 30 s, as Wings. */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
}

export interface ConfigureOptions extends FetchNodeConfigurationOptions {
  /** Where to write the file; relative paths are resolved against `cwd`. */
  readonly configPath: string
  readonly cwd?: string
  /** Replace an existing file without asking. */
  readonly override?: boolean
  /** Asked when the file exists and `override` is off; without it, an existing file is kept. */
  readonly confirmOverride?: () => Promise<boolean>
}

export interface ConfigureResult {
  readonly path: string
  readonly config: DaemonConfig
}

const MAX_BODY_BYTES = 1024 * 1024
const MAX_REDIRECTS = 5

/**
 * Fetches the node's configuration from the Panel's application API
 * (`GET /api/application/nodes/<id>/configuration`), decodes it over the defaults with Wings'
 * Go JSON rules and writes the file (mode 0600). Refuses to replace an existing file unless
 * `override` is set or `confirmOverride` agrees. Failures reject with ConfigureError.
 */
export async function runConfigure(options: ConfigureOptions): Promise<ConfigureResult> {
  const file = path.resolve(options.cwd ?? process.cwd(), options.configPath)
  if (!options.override && (await exists(file))) {
    const confirmed = options.confirmOverride ? await options.confirmOverride() : false
    if (!confirmed) {
      throw new ConfigureError(
        'Aborting process; a configuration file already exists for this node.',
      )
    }
  }
  const body = await fetchNodeConfiguration(options)
  const config = mergePanelConfiguration(
    defaultConfig(),
    body,
    (cause) =>
      new ConfigureError(`The configuration sent by the Panel cannot be used: ${cause.message}`, {
        cause,
      }),
  )
  await saveConfig(file, config)
  return { path: file, config }
}

/**
 * The JSON body of `GET <panel>/api/application/nodes/<node>/configuration`, as `wings configure`
 * requests it (`Authorization: Bearer <key>`, `Accept: application/vnd.pterodactyl.v1+json`).
 */
async function fetchNodeConfiguration(options: FetchNodeConfigurationOptions): Promise<unknown> {
  let url: URL
  try {
    url = new URL(options.panelUrl)
  } catch {
    url = new URL('invalid:')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigureError(
      `The Panel URL must be an absolute http(s) URL such as https://panel.example.com, not "${options.panelUrl}".`,
    )
  }
  if (!/^\d+$/.test(options.node)) {
    throw new ConfigureError(
      `The node must be the numeric id of the node in the Panel, not "${options.node}".`,
    )
  }
  if (options.token.trim() === '')
    throw new ConfigureError('Please provide a valid authentication token.')
  url.pathname = path.posix.join(
    url.pathname,
    'api/application/nodes',
    options.node,
    'configuration',
  )
  url.search = ''
  url.hash = ''

  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000)
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
  let response: { status: number; body: string }
  try {
    response = await get(url, options, signal)
  } catch (err) {
    const reason =
      signal.aborted && timeout.aborted
        ? 'the Panel did not answer in time'
        : (err as Error).message
    throw new ConfigureError(`Failed to fetch configuration from the panel.\n ${reason}`, {
      cause: err,
    })
  }
  if (response.status === 401 || response.status === 403) {
    throw new ConfigureError('The authentication credentials provided were not valid.')
  }
  if (response.status !== 200) {
    throw new ConfigureError(
      `An error occurred while processing this request (HTTP ${response.status}).\n ${response.body.slice(0, 2000)}`,
    )
  }
  try {
    return JSON.parse(response.body) as unknown
  } catch (err) {
    throw new ConfigureError('The Panel answered with something that is not JSON.', { cause: err })
  }
}

/** A GET that follows up to five redirects; Authorization is only sent to the Panel's own host. */
async function get(
  url: URL,
  options: FetchNodeConfigurationOptions,
  signal: AbortSignal,
): Promise<{ status: number; body: string }> {
  let target = url
  for (let hop = 0; ; hop++) {
    const res = await request(target, {
      signal,
      rejectUnauthorized: options.allowInsecure !== true,
      headers: {
        Accept: 'application/vnd.pterodactyl.v1+json',
        'Content-Type': 'application/json',
        ...(target.host === url.host ? { Authorization: `Bearer ${options.token}` } : {}),
      },
    })
    const location = res.headers.location
    if (res.statusCode !== undefined && res.statusCode >= 300 && res.statusCode < 400 && location) {
      res.resume()
      if (hop >= MAX_REDIRECTS) throw new Error('too many redirects')
      target = new URL(location, target)
      if (target.protocol !== 'http:' && target.protocol !== 'https:') {
        throw new Error(`redirected to a non-HTTP URL (${target.protocol})`)
      }
      continue
    }
    return { status: res.statusCode ?? 0, body: await readBody(res) }
  }
}

function request(
  url: URL,
  options: { signal: AbortSignal; rejectUnauthorized: boolean; headers: Record<string, string> },
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req =
      url.protocol === 'https:'
        ? https.request(url, {
            method: 'GET',
            headers: options.headers,
            signal: options.signal,
            rejectUnauthorized: options.rejectUnauthorized,
          })
        : http.request(url, { method: 'GET', headers: options.headers, signal: options.signal })
    req.once('response', resolve)
    req.once('error', reject)
    req.end()
  })
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) {
      res.destroy()
      throw new Error(`the answer is larger than ${MAX_BODY_BYTES} bytes`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

/** What the CLI needs to talk to the operator. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream
  readonly stderr: NodeJS.WritableStream
  /** Asks a question on the terminal; absent when stdin is not a terminal. */
  readonly prompt?: (question: string) => Promise<string>
}

/**
 * `wings configure`: asks for missing values on a terminal (as Wings does), runs runConfigure
 * and prints the outcome. Resolves with the process exit code; ConfigureError messages are
 * printed, other errors propagate.
 */
export async function configureCommand(args: ConfigureArgs, io: CliIo): Promise<number> {
  const ask = async (
    value: string | undefined,
    question: string,
    flag: string,
  ): Promise<string> => {
    if (value !== undefined) return value
    if (!io.prompt)
      throw new ConfigureError(`Missing ${flag}. Run "wings configure --help" for usage.`)
    return (await io.prompt(question)).trim()
  }
  try {
    const panelUrl = await ask(args.panelUrl, 'Panel URL: ', '--panel-url')
    const token = await ask(args.token, 'API Token: ', '--token')
    const node = await ask(args.node, 'Node ID: ', '--node')
    const { prompt } = io
    const result = await runConfigure({
      panelUrl,
      token,
      node,
      configPath: args.configPath,
      override: args.override,
      allowInsecure: args.allowInsecure,
      ...(prompt
        ? {
            confirmOverride: async () =>
              /^y(es)?$/i.test(
                (await prompt('Override existing configuration file? [y/N] ')).trim(),
              ),
          }
        : {}),
    })
    io.stdout.write(`Successfully configured wings (${result.path}).\n`)
    return 0
  } catch (err) {
    if (err instanceof ConfigureError) {
      io.stderr.write(`${err.message}\n`)
      return err.exitCode
    }
    throw err
  }
}

/** CliIo on the process's own streams; prompts only when stdin is a terminal. */
export function terminalIo(): CliIo {
  const prompt = async (question: string): Promise<string> => {
    const rl = createInterface({ input: process.stdin, output: process.stdout })
    try {
      return await rl.question(question)
    } finally {
      rl.close()
    }
  }
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    ...(process.stdin.isTTY ? { prompt } : {}),
  }
}
