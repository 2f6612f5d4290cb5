import { randomUUID } from 'node:crypto'

import {
  environmentSettingsOf,
  Server,
  type Environment,
  type EnvironmentSettings,
  type ProcessConfiguration,
  type ServerConfiguration,
} from '@node/server-state'
import { buildServerConfiguration } from '@node/server-state/testing'
import { FAKE_GAME_SERVER_DONE } from '@node/testkit'
import { afterEach, describe, expect, it } from 'vitest'

import { formatNotice, NOTICES, ServerRuntime, type PowerSettings } from '@node/power'

export interface PowerSuiteHooks {
  /** The startup command that runs the fake game server in this runtime. */
  readonly invocation: string
  readonly image: string
  /** The runtime of server `uuid` (its data directory already exists). */
  make(uuid: string, settings: EnvironmentSettings): Promise<Environment>
  /** Removes every runtime the suite made. */
  cleanup(): Promise<void>
  /** Whether a process outlives its runtime object (containers do; child processes do not). */
  readonly adoptsRunningProcesses: boolean
}

const SETTINGS: PowerSettings = {
  appName: 'Pterodactyl',
  crashDetection: { enabled: true, detectCleanExitAsCrash: true, timeoutSeconds: 60 },
  throttle: { lines: 2000, intervalMs: 100 },
}

/** Console lines and states of one server as they come, with waits on what is to come. */
class Watcher {
  readonly lines: string[] = []
  readonly states: string[] = []
  readonly #wakers = new Set<() => void>()

  constructor(server: Server) {
    server.events.subscribe('console output', (line) => {
      this.lines.push(line)
      this.#wake()
    })
    server.events.subscribe('status', (state) => {
      this.states.push(state)
      this.#wake()
    })
  }

  line(text: string, from = 0): Promise<void> {
    return this.#until(() => this.lines.slice(from).some((l) => l.includes(text)), `line ${text}`)
  }

  state(state: string, server: Server): Promise<void> {
    return this.#until(() => server.state === state, `state ${state}`)
  }

  #until(done: () => boolean, what: string): Promise<void> {
    if (done()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wakers.delete(check)
        reject(new Error(`timed out waiting for ${what}; console: ${this.lines.join(' | ')}`))
      }, 20_000)
      const check = (): void => {
        if (!done()) return
        clearTimeout(timer)
        this.#wakers.delete(check)
        resolve()
      }
      this.#wakers.add(check)
    })
  }

  #wake(): void {
    for (const waker of this.#wakers) waker()
  }
}

/**
 * The power behaviour of issue 3 against a real runtime: start with the done line, commands, stop
 * by command and by signal, kill after the grace, crash and automatic restart, re-attach by a new
 * runtime, destroy.
 */
export function describePowerSuite(name: string, hooks: PowerSuiteHooks): void {
  describe(`${name}: power`, { timeout: 60_000 }, () => {
    const runtimes: ServerRuntime[] = []

    afterEach(async () => {
      for (const runtime of runtimes.splice(0)) runtime.close()
      await hooks.cleanup()
    })

    async function serverWith(
      options: { stop?: ProcessConfiguration['stop']; args?: string; uuid?: string } = {},
    ): Promise<{ server: Server; runtime: ServerRuntime; watch: Watcher }> {
      const uuid = options.uuid ?? randomUUID()
      const base = buildServerConfiguration(uuid)
      const configuration: ServerConfiguration = {
        settings: {
          ...base.settings,
          invocation: `${hooks.invocation}${options.args ? ` ${options.args}` : ''}`,
          build: { ...base.settings.build, memoryLimit: 256 },
          container: { image: hooks.image },
          // Nothing published: a fixed host port would collide with other tests.
          allocations: { ...base.settings.allocations, mappings: {} },
        },
        process: { ...base.process, stop: options.stop ?? { type: 'command', value: 'stop' } },
      }
      const server = new Server({ configuration })
      const settings = (): EnvironmentSettings =>
        environmentSettingsOf(server.configuration, { timezone: 'UTC' })
      const environment = await hooks.make(uuid, settings())
      const runtime = new ServerRuntime({
        server,
        environment,
        settings: () => SETTINGS,
        preflight: { sync: () => Promise.resolve(), environmentSettings: settings },
      })
      runtimes.push(runtime)
      return { server, runtime, watch: new Watcher(server) }
    }

    async function runningServer(options?: Parameters<typeof serverWith>[0]) {
      const started = await serverWith(options)
      await started.runtime.power('start')
      await started.watch.state('running', started.server)
      return started
    }

    it('starts, is running once the done line is printed, and round-trips a command', async () => {
      const { server, runtime, watch } = await runningServer()

      await runtime.sendCommands(['say hello'])
      await watch.line('received: say hello')

      expect(watch.states.slice(0, 2)).toEqual(['starting', 'running'])
      expect(watch.lines).toContain(FAKE_GAME_SERVER_DONE)
      expect(await runtime.isRunning()).toBe(true)
      expect(server.state).toBe('running')
    })

    it('stops by the stop command, with no crash handling', async () => {
      const { server, runtime, watch } = await runningServer()

      await runtime.power('stop')

      expect(server.state).toBe('offline')
      expect(watch.states.slice(-2)).toEqual(['stopping', 'offline'])
      expect(watch.lines).toContain('Stopping the server')
      expect(watch.lines.some((l) => l.includes('crashed state'))).toBe(false)
      expect(await runtime.isRunning()).toBe(false)
    })

    it('stops by signal', async () => {
      const { server, runtime, watch } = await runningServer({
        stop: { type: 'signal', value: 'SIGTERM' },
      })

      await runtime.power('stop')

      expect(server.state).toBe('offline')
      expect(watch.lines).toContain('Received SIGTERM, shutting down')
    })

    it('kills a process that ignores the stop once the grace is over', async () => {
      const { server, runtime, watch } = await runningServer({
        stop: { type: 'signal', value: 'SIGTERM' },
      })
      await runtime.sendCommands(['ignore-signals'])
      await watch.line('ignoring SIGTERM and SIGINT')

      await runtime.stopWithin(1_000, true)

      expect(server.state).toBe('offline')
      expect(await runtime.isRunning()).toBe(false)
      expect(watch.lines).not.toContain('Received SIGTERM, shutting down')
    })

    it('detects a crash, says so, and starts the server again', async () => {
      const { server, runtime, watch } = await runningServer()
      const before = watch.lines.length

      await runtime.sendCommands(['crash 3'])
      await watch.line(FAKE_GAME_SERVER_DONE, before)
      await watch.state('running', server)

      const notice = (text: string): string => formatNotice('Pterodactyl', text)
      expect(watch.lines).toEqual(
        expect.arrayContaining([notice(NOTICES.crashed), notice('Exit code: 3')]),
      )
      expect(watch.states).toEqual(['starting', 'running', 'offline', 'starting', 'running'])
    })

    it('restarts a running server', async () => {
      const { server, runtime, watch } = await runningServer()

      await runtime.power('restart')
      await watch.state('running', server)

      expect(watch.states).toEqual([
        'starting',
        'running',
        'stopping',
        'offline',
        'starting',
        'running',
      ])
    })

    // Only runtimes whose processes outlive the daemon have something to adopt.
    if (hooks.adoptsRunningProcesses) {
      it('a new runtime adopts the running process: state and console survive', async () => {
        const first = await runningServer()
        first.runtime.close()
        const uuid = first.server.uuid
        const second = await serverWith({ uuid })

        await second.runtime.reconcile('running')
        await second.runtime.sendCommands(['after re-attach'])
        await second.watch.line('received: after re-attach')

        expect(second.server.state).toBe('running')
        expect(second.watch.states).toEqual(['running'])
      })
    }

    it('kill ends the process at once; destroy removes the runtime', async () => {
      const { server, runtime } = await runningServer()

      await runtime.power('kill')
      expect(server.state).toBe('offline')
      await runtime.destroy()

      expect(await runtime.environment.exists()).toBe(false)
    })
  })
}
