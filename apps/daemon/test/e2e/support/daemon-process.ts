import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { fileURLToPath } from 'node:url'

import { CRASH_MARKERS } from '../../../src/cli/crash-guard.js'

const MAIN = fileURLToPath(new URL('../../../src/main.ts', import.meta.url))
const SOURCE_HOOKS = fileURLToPath(new URL('./source-hooks.mjs', import.meta.url))

export interface DaemonProcess extends AsyncDisposable {
  readonly url: string
  readonly child: ChildProcess
  /** Everything the daemon printed so far. */
  output(): string
  /** Throws when the daemon crashed: an unhandled error, or an exit nobody asked for. */
  assertNoCrash(): void
  /** Sends SIGKILL and waits for the exit, as a crash would. */
  kill(): Promise<void>
  /** Sends SIGTERM and waits for a clean exit. */
  stop(): Promise<void>
}

export interface StartDaemonOptions {
  readonly configPath: string
  /** The daemon's API base URL, from the config's api.host/api.port. */
  readonly url: string
  readonly token: string
  readonly args?: readonly string[]
  readonly readyTimeoutMs?: number
  /** CA that signed the API's certificate, when `api.ssl.enabled`. */
  readonly ca?: Buffer
  /** Another `wings` than the sources' (an unpacked release), and how to run it. */
  readonly cli?: CliOptions
}

export interface CliOptions {
  readonly cwd?: string
  /** Merged over the test process's environment, unless `command` is given. */
  readonly env?: Record<string, string | undefined>
  /**
   * An executable `wings` to run instead of the sources (an unpacked release), with `env` as its
   * whole environment: nothing of the test process's (its PATH, its Node) reaches it.
   */
  readonly command?: string
  /** runCli: a command still running after this long is killed (its code is then null). */
  readonly timeoutMs?: number
}

/**
 * The real daemon CLI (`main.ts …`) as a child process straight from the sources (Node strips the
 * types; the @node/source condition resolves workspace packages to src/).
 */
export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  if (options.command !== undefined) {
    return spawn(options.command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: options.cwd,
      env: { NO_COLOR: '1', ...options.env },
    })
  }
  return spawn(
    process.execPath,
    ['--conditions=@node/source', '--import', SOURCE_HOOKS, MAIN, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
    },
  )
}

export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the CLI to its end (a command, or a start that fails). */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const child = spawnCli(args, options)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
  const [code] = (await once(child, 'close')) as [number | null]
  clearTimeout(timer)
  return { code, stdout, stderr }
}

/** Runs the real daemon CLI with `--config` and waits until its API answers. */
export async function startDaemon(options: StartDaemonOptions): Promise<DaemonProcess> {
  const child = spawnCli(['--config', options.configPath, ...(options.args ?? [])], options.cli)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = once(child, 'exit')

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000)
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`daemon exited with ${child.exitCode} before it was ready:\n${output}`)
    }
    const ready = await systemAnswers(options).catch(() => false)
    if (ready) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`daemon did not answer in time:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  let stopRequested = false
  const assertNoCrash = (): void => {
    const crashLines = output
      .split('\n')
      .filter((line) => CRASH_MARKERS.some((marker) => line.includes(marker)))
    if (crashLines.length > 0) {
      throw new Error(`the daemon crashed:\n${crashLines.join('\n')}\n\nfull output:\n${output}`)
    }
    if (!stopRequested && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(
        `the daemon exited on its own (${child.exitCode ?? child.signalCode}):\n${output}`,
      )
    }
  }
  // Every way a test ends the daemon first checks that it did not crash.
  const signalAndWait = async (signal: NodeJS.Signals) => {
    assertNoCrash()
    stopRequested = true
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
    assertNoCrash()
  }
  return {
    url: options.url,
    child,
    output: () => output,
    assertNoCrash,
    kill: () => signalAndWait('SIGKILL'),
    stop: () => signalAndWait('SIGTERM'),
    [Symbol.asyncDispose]: () => signalAndWait('SIGKILL'),
  }
}

/** Whether `GET /api/system` answers 200, over HTTP or HTTPS (trusting `ca`). */
function systemAnswers(options: StartDaemonOptions): Promise<boolean> {
  const url = new URL('/api/system', options.url)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        headers: { Authorization: `Bearer ${options.token}` },
        ...(options.ca ? { ca: options.ca } : {}),
      },
      (res) => {
        res.resume()
        resolve(res.statusCode === 200)
      },
    )
    req.on('error', reject)
    req.end()
  })
}
