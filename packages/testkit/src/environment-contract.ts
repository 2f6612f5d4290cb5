import { fileURLToPath } from 'node:url'

import {
  environmentSettingsOf,
  type Allocations,
  type BuildLimits,
  type Environment,
  type EnvironmentSettings,
  type ExitState,
  type Mount,
  type ResourceSample,
} from '@node/server-state'
import { buildServerConfiguration } from '@node/server-state/testing'
import { isDaemonError } from '@node/shared-kernel'
import { afterEach, describe, expect, it } from 'vitest'

/** The scripted game server of the test image, on the host (for process environments). */
export const FAKE_GAME_SERVER = fileURLToPath(
  new URL('../images/busybox/rootfs/usr/local/bin/fake-game-server', import.meta.url),
)

/** The line the fake game server prints once it is ready. */
export const FAKE_GAME_SERVER_DONE = 'Done (1.23s)! For help, type "help"'

/** Everything an environment reported since the recorder was made, with waits on what comes. */
export class EnvironmentRecorder {
  readonly lines: string[] = []
  readonly exits: ExitState[] = []
  readonly stats: ResourceSample[] = []
  runningCount = 0
  readonly #waiters = new Set<() => void>()
  readonly #unsubscribe: (() => void)[]

  constructor(environment: Environment) {
    const wake = (): void => {
      for (const waiter of this.#waiters) waiter()
    }
    this.#unsubscribe = [
      environment.subscribe('output', (line) => {
        this.lines.push(line)
        wake()
      }),
      environment.subscribe('exited', (exit) => {
        this.exits.push(exit)
        wake()
      }),
      environment.subscribe('stats', (sample) => {
        this.stats.push(sample)
        wake()
      }),
      environment.subscribe('running', () => {
        this.runningCount++
        wake()
      }),
    ]
  }

  /** Resolves with the first recorded line (from index `from`) matching `pattern`. */
  async line(pattern: RegExp | string, timeoutMs = 20_000, from = 0): Promise<string> {
    const matches = (l: string): boolean =>
      typeof pattern === 'string' ? l.includes(pattern) : pattern.test(l)
    // Scans each line once, so waiting through a flood stays linear.
    let next = from
    let found: string | undefined
    const scan = (): boolean => {
      for (; next < this.lines.length; next++) {
        const l = this.lines[next] as string
        if (matches(l)) {
          found = l
          return true
        }
      }
      return false
    }
    await this.until(scan, `a line matching ${String(pattern)}`, timeoutMs)
    return found as string
  }

  /** Resolves with the next `exited` report (the n-th, counting from 1). */
  async exit(n = 1, timeoutMs = 20_000): Promise<ExitState> {
    await this.until(() => this.exits.length >= n, `exit #${n}`, timeoutMs)
    return this.exits[n - 1] as ExitState
  }

  /** Resolves once `condition` holds, checked after every event; rejects after `timeoutMs`. */
  until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (condition()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return
        cleanup()
        resolve()
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(
          new Error(
            `timed out waiting for ${what}; last lines: ${this.lines.slice(-10).join(' | ')}`,
          ),
        )
      }, timeoutMs)
      const cleanup = (): void => {
        clearTimeout(timer)
        this.#waiters.delete(check)
      }
      this.#waiters.add(check)
    })
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
  }
}

/** What a contract test asks of the runtime under test. */
export interface FakeServerOptions {
  /** Arguments of fake-game-server (e.g. `--no-done`). */
  readonly args?: string
  readonly stop?: EnvironmentSettings['stop']
  /** Extra variables after the daemon's own. */
  readonly variables?: Readonly<Record<string, string>>
}

export interface FakeServerSettingsOptions extends FakeServerOptions {
  readonly image?: string
  readonly limits?: Partial<BuildLimits>
  readonly allocations?: Allocations
  readonly mounts?: readonly Mount[]
  readonly labels?: Readonly<Record<string, string>>
}

/**
 * The settings of a small server (256 MiB, one core, default allocation 127.0.0.1:25565 but no
 * port published, TZ=UTC) whose startup command is `invocation` followed by the fake game
 * server's `args`.
 */
export function fakeServerSettings(
  id: string,
  invocation: string,
  options: FakeServerSettingsOptions = {},
): EnvironmentSettings {
  const base = buildServerConfiguration(id)
  const configuration = buildServerConfiguration(id, {
    settings: {
      invocation: options.args ? `${invocation} ${options.args}` : invocation,
      environment: { ...options.variables },
      build: {
        ...base.settings.build,
        memoryLimit: 256,
        cpuLimit: 100,
        oomDisabled: false,
        ...options.limits,
      },
      container: { image: options.image ?? base.settings.container.image },
      // Nothing published unless asked: a fixed host port would collide with other tests.
      allocations: options.allocations ?? {
        forceOutgoingIp: false,
        default: { ip: '127.0.0.1', port: 25565 },
        mappings: {},
      },
      mounts: options.mounts ?? [],
      labels: options.labels ?? null,
    },
    process: { stop: options.stop ?? { type: 'command', value: 'stop' } },
  })
  return environmentSettingsOf(configuration, { timezone: 'UTC' })
}

export interface EnvironmentContractHooks {
  /**
   * A fresh environment (not created yet) of a new server whose startup command runs the fake
   * game server with `options`; the startup variables include `SERVER_PORT=25565`.
   */
  make(options?: FakeServerOptions): Promise<Environment>
  /** Removes every runtime and file the tests made; runs after each test, even a failed one. */
  cleanup(): Promise<void>
  /** Per-test timeout (default 60 s). */
  readonly timeoutMs?: number
}

/**
 * Behaviour every Environment adapter must show, against its real runtime: start with the console
 * attached, commands, stops by command and signal, kill after a timeout, crashes, output floods,
 * the log tail, stats, uptime, detach and re-attach, destroy.
 */
export function describeEnvironmentContract(name: string, hooks: EnvironmentContractHooks): void {
  describe(`${name} (Environment contract)`, { timeout: hooks.timeoutMs ?? 60_000 }, () => {
    const recorders: EnvironmentRecorder[] = []
    const started = async (
      options?: FakeServerOptions,
    ): Promise<{ env: Environment; rec: EnvironmentRecorder }> => {
      const env = await hooks.make(options)
      const rec = new EnvironmentRecorder(env)
      recorders.push(rec)
      await env.start()
      await rec.line(
        options?.args?.includes('--no-done') ? 'Starting fake game server' : FAKE_GAME_SERVER_DONE,
      )
      return { env, rec }
    }

    afterEach(async () => {
      for (const rec of recorders.splice(0)) rec.close()
      await hooks.cleanup()
    })

    it('reports a server that never ran as not running, with nothing to send commands to', async () => {
      const env = await hooks.make()

      expect(await env.isRunning()).toBe(false)
      expect(await env.uptime()).toBe(0)
      expect(env.resourceSample.memoryBytes).toBe(0)
      const failure = await env.sendCommand('help').catch((err: unknown) => err)
      expect(isDaemonError(failure) && failure.code).toBe('NOT_RUNNING')
    })

    it('reads an empty log for a server that never ran, even without a runtime', async () => {
      const env = await hooks.make()

      expect(await env.readLog(10)).toEqual([])
      await env.create()
      expect(await env.readLog(10)).toEqual([])
    })

    it('leaves no runtime behind when its create is aborted, however far it got', async () => {
      for (const delayMs of [0, 1, 5, 20]) {
        const env = await hooks.make()
        const controller = new AbortController()

        const creating = env.create(controller.signal)
        setTimeout(() => controller.abort(new Error('server deleted')), delayMs)
        const outcome = await creating.then(
          () => 'created',
          () => 'aborted',
        )

        // Either the create finished first, and the runtime is there to destroy, or nothing is.
        expect(await env.exists(), `abort after ${delayMs} ms`).toBe(outcome === 'created')
        await env.destroy()
      }
    })

    it('creates a runtime that exists until it is destroyed', async () => {
      const env = await hooks.make()

      await env.create()
      const existed = await env.exists()
      await env.destroy()

      expect(existed).toBe(true)
      expect(await env.exists()).toBe(false)
    })

    it('starts the process with its console attached, so the first line is seen', async () => {
      const { env, rec } = await started()

      expect(rec.lines[0]).toBe('Starting fake game server on 127.0.0.1:25565')
      expect(rec.runningCount).toBe(1)
      expect(await env.isRunning()).toBe(true)
      expect(await env.exists()).toBe(true)
    })

    it('passes the startup variables and the Panel variables to the process', async () => {
      const { env, rec } = await started({ variables: { GAME_MODE: 'hard' } })

      await env.sendCommand('env')

      // `env` prints sorted: TZ comes last.
      expect(await rec.line(/^TZ=/)).toBe('TZ=UTC')
      expect(rec.lines).toContain('GAME_MODE=hard')
      expect(rec.lines).toContain('SERVER_PORT=25565')
      expect(rec.lines).toContain('SERVER_MEMORY=256')
      expect(rec.lines).toContain('SERVER_IP=127.0.0.1')
      expect(rec.lines.find((l) => l.startsWith('STARTUP='))).toMatch(/fake-game-server/)
    })

    it('sends a console command and sees the answer', async () => {
      const { env, rec } = await started()

      await env.sendCommand('say hello world')

      expect(await rec.line('received: ')).toBe('received: say hello world')
    })

    it('does not start a second process when started while running', async () => {
      const { env, rec } = await started()

      await env.start()
      await env.sendCommand('ping once')

      await rec.line('received: ping once')
      expect(rec.lines.filter((l) => l === FAKE_GAME_SERVER_DONE)).toHaveLength(1)
      expect(rec.lines.filter((l) => l === 'received: ping once')).toHaveLength(1)
    })

    it('stops by the stop command and reports exit code 0', async () => {
      const { env, rec } = await started({ stop: { type: 'command', value: 'stop' } })

      await env.stop()
      await env.waitForStop({ timeoutMs: 20_000, kill: false })

      expect(await env.isRunning()).toBe(false)
      expect(rec.lines).toContain('Stopping the server')
      expect(await rec.exit()).toEqual({ exitCode: 0, oomKilled: false })
      expect(await env.exitState()).toEqual({ exitCode: 0, oomKilled: false })
      expect(await env.uptime()).toBe(0)
    })

    it('stops by the stop signal', async () => {
      const { env, rec } = await started({ stop: { type: 'signal', value: 'SIGTERM' } })

      await env.stop()
      await env.waitForStop({ timeoutMs: 20_000, kill: false })

      expect(await rec.line('Received SIGTERM')).toBe('Received SIGTERM, shutting down')
      expect(await rec.exit()).toEqual({ exitCode: 0, oomKilled: false })
    })

    it('kills a process that ignores its stop once the wait times out', async () => {
      const { env, rec } = await started({ stop: { type: 'command', value: 'please stop' } })

      await env.stop()
      await env.waitForStop({ timeoutMs: 500, kill: true })

      expect(await env.isRunning()).toBe(false)
      expect(rec.lines).toContain('received: please stop')
      expect((await rec.exit()).exitCode).not.toBe(0)
    })

    it('rejects the wait with TIMEOUT when told not to kill, leaving the process running', async () => {
      const { env } = await started({ stop: { type: 'command', value: 'please stop' } })

      await env.stop()
      const failure = await env
        .waitForStop({ timeoutMs: 300, kill: false })
        .catch((err: unknown) => err)

      expect(isDaemonError(failure) && failure.code).toBe('TIMEOUT')
      expect(await env.isRunning()).toBe(true)
    })

    it('kills a running process at once', async () => {
      const { env, rec } = await started()
      await env.sendCommand('ignore-signals')
      await rec.line('ignoring SIGTERM')

      await env.kill()

      expect(await env.isRunning()).toBe(false)
      expect(rec.exits).toHaveLength(1)
      expect(rec.exits[0]?.exitCode).not.toBe(0)
    })

    it('reports a crash with its exit code', async () => {
      const { env, rec } = await started()

      await env.sendCommand('crash 3')

      expect(await rec.exit()).toEqual({ exitCode: 3, oomKilled: false })
      expect(rec.lines).toContain('Crashing')
      expect(await env.exitState()).toEqual({ exitCode: 3, oomKilled: false })
      expect(await env.isRunning()).toBe(false)
    })

    it('delivers a flood of output in order, line by line', async () => {
      const { env, rec } = await started()
      const from = rec.lines.length

      await env.sendCommand('flood 5000')
      await rec.line('flood done 5000', 30_000, from)

      const flood = rec.lines.slice(from).filter((l) => l.startsWith('flood line '))
      expect(flood).toHaveLength(5000)
      expect(flood[0]).toBe('flood line 1')
      expect(flood[4999]).toBe('flood line 5000')
      expect(flood.every((l, i) => l === `flood line ${i + 1}`)).toBe(true)
    })

    it('keeps the recent output for the log tail', async () => {
      const { env, rec } = await started()
      await env.sendCommand('flood 20')
      await rec.line('flood done 20')

      // The runtime may write its log a moment after the console shows the line.
      let tail: string[] = []
      for (let i = 0; i < 50; i++) {
        tail = await env.readLog(3)
        if (tail.at(-1) === 'flood done 20') break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }

      expect(tail).toEqual(['flood line 19', 'flood line 20', 'flood done 20'])
    })

    it('reports resource samples and uptime while the process runs', async () => {
      const { env, rec } = await started()

      await rec.until(() => rec.stats.length >= 2, 'two stats samples', 20_000)

      const last = rec.stats.at(-1) as ResourceSample
      expect(last.memoryBytes).toBeGreaterThan(0)
      expect(last.memoryLimitBytes).toBeGreaterThan(0)
      expect(last.cpuAbsolute).toBeGreaterThanOrEqual(0)
      expect(env.resourceSample).toEqual(last)
      expect(await env.uptime()).toBeGreaterThan(0)
    })

    it('zeroes the resource sample once the process has exited', async () => {
      const { env, rec } = await started()
      await rec.until(() => rec.stats.length >= 1, 'a stats sample', 20_000)

      await env.kill()

      expect(env.resourceSample.memoryBytes).toBe(0)
      expect(env.resourceSample.uptime).toBe(0)
    })

    it('starts again after a stop, with a fresh process', async () => {
      const { env, rec } = await started({ stop: { type: 'command', value: 'stop' } })
      await env.stop()
      await env.waitForStop({ timeoutMs: 20_000, kill: true })
      await rec.exit()
      const from = rec.lines.length

      await env.start()

      await rec.line(FAKE_GAME_SERVER_DONE, 20_000, from)
      expect(rec.runningCount).toBe(2)
      await env.sendCommand('after restart')
      await rec.line('received: after restart', 20_000, from)
    })

    it('stops reporting once detached, and reports again once attached', async () => {
      const { env, rec } = await started()

      env.detach()
      const failure = await env.sendCommand('while detached').catch((err: unknown) => err)
      await env.attach()
      await env.sendCommand('after attach')

      expect(isDaemonError(failure) && failure.code).toBe('NOT_RUNNING')
      expect(await env.isRunning()).toBe(true)
      expect(await rec.line('received: after attach')).toBe('received: after attach')
      expect(rec.lines).not.toContain('received: while detached')
    })

    it('destroys a running process and its runtime', async () => {
      const { env, rec } = await started()

      await env.destroy()

      expect(await env.isRunning()).toBe(false)
      expect(await env.exists()).toBe(false)
      await rec.exit()
      expect(rec.exits).toHaveLength(1)
    })
  })
}
