import {
  environmentSettingsOf,
  Server,
  ZERO_RESOURCE_SAMPLE,
  type ServerConfiguration,
} from '@node/server-state'
import { buildServerConfiguration, InMemoryEnvironment } from '@node/server-state/testing'
import { FakeClock } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'

import { formatNotice, NOTICES } from './console-notice.js'
import { LOCK_BUSY_MESSAGE } from './power-lock.js'
import { ServerRuntime, type PowerSettings, type StartPreflight } from './server-runtime.js'

const UUID = '0e4059ca-d79b-46a5-8ec4-95bd0736d150'
const DONE_LINE = 'Done (1.23s)! For help, type "help"'

interface Harness {
  readonly server: Server
  readonly env: InMemoryEnvironment
  readonly runtime: ServerRuntime
  readonly clock: FakeClock
  readonly console: string[]
  readonly states: string[]
  settings: PowerSettings
  syncs: number
}

function harness(
  overrides: { configuration?: ServerConfiguration; preflight?: Partial<StartPreflight> } = {},
): Harness {
  const configuration = overrides.configuration ?? buildServerConfiguration(UUID)
  const server = new Server({ configuration })
  const env = new InMemoryEnvironment(
    UUID,
    environmentSettingsOf(configuration, { timezone: 'UTC' }),
  )
  const clock = new FakeClock()
  const h: Harness = {
    server,
    env,
    clock,
    console: [],
    states: [],
    syncs: 0,
    settings: {
      appName: 'Pterodactyl',
      crashDetection: { enabled: true, detectCleanExitAsCrash: true, timeoutSeconds: 60 },
      throttle: { lines: 2000, intervalMs: 100 },
    },
    runtime: undefined as unknown as ServerRuntime,
  }
  server.events.subscribe('console output', (line) => h.console.push(line))
  server.events.subscribe('status', (state) => h.states.push(state))
  ;(h as { runtime: ServerRuntime }).runtime = new ServerRuntime({
    server,
    environment: env,
    clock,
    settings: () => h.settings,
    preflight: {
      sync: () => {
        h.syncs++
        return Promise.resolve()
      },
      environmentSettings: () => environmentSettingsOf(server.configuration, { timezone: 'UTC' }),
      ...overrides.preflight,
    },
  })
  return h
}

/** The next starts fail with `err`, as an engine that cannot start the process. */
function failStart(env: InMemoryEnvironment, err: Error): void {
  env.beforeCall = (call) => {
    if (call === 'start') throw err
  }
}

const notice = (text: string): string => formatNotice('Pterodactyl', text)

async function running(h: Harness): Promise<void> {
  await h.runtime.power('start')
  h.env.print(DONE_LINE)
}

/** Lets the crash handler's promise chain run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('ServerRuntime: start', () => {
  it('syncs, configures and starts, and is running once a done line is printed', async () => {
    const h = harness()

    await h.runtime.power('start')
    expect(h.server.state).toBe('starting')
    h.env.print('Loading libraries')
    expect(h.server.state).toBe('starting')
    h.env.print(DONE_LINE)

    expect(h.server.state).toBe('running')
    expect(h.syncs).toBe(1)
    expect(h.env.calls).toEqual(['configure', 'start'])
    expect(h.states).toEqual(['starting', 'running'])
    expect(h.console).toEqual(['Loading libraries', DONE_LINE])
  })

  it('detects the done line after stripping ANSI escapes when the egg asks', async () => {
    const base = buildServerConfiguration(UUID)
    const h = harness({
      configuration: {
        ...base,
        process: { ...base.process, startup: { ...base.process.startup, stripAnsi: true } },
      },
    })
    await h.runtime.power('start')

    h.env.print('\u001b[32mDone (1.23s)\u001b[0m! For help, type "help"')

    expect(h.server.state).toBe('running')
  })

  it('refuses to start a server that is not offline', async () => {
    const h = harness()
    await running(h)

    await expect(h.runtime.power('start')).rejects.toThrow('server is running')
  })

  it('refuses a server found suspended by the sync, before touching the runtime', async () => {
    const h = harness({
      preflight: {
        sync: () => {
          h.server.forceSuspended()
          return Promise.resolve()
        },
      },
    })

    await expect(h.runtime.power('start')).rejects.toThrow(
      'server is currently in a suspended state',
    )
    expect(h.env.calls).toEqual([])
    expect(h.server.state).toBe('offline')
  })

  it('aborts the start when the sync or the disk check fails', async () => {
    const failingSync = harness({
      preflight: { sync: () => Promise.reject(new Error('unable to sync server data')) },
    })
    const overQuota = harness({
      preflight: {
        checkDisk: () => Promise.reject(new Error('filesystem: not enough disk space')),
      },
    })

    await expect(failingSync.runtime.power('start')).rejects.toThrow('unable to sync')
    await expect(overQuota.runtime.power('start')).rejects.toThrow('not enough disk space')
    expect(failingSync.env.calls).toEqual([])
    expect(overQuota.env.calls).toEqual(['configure'])
  })

  it('rewrites the config files and fixes permissions with their notices, in order', async () => {
    const steps: string[] = []
    const h = harness({
      preflight: {
        checkDisk: () => {
          steps.push('disk')
          return Promise.resolve()
        },
        rewriteConfigFiles: () => {
          steps.push('configs')
          return Promise.resolve()
        },
        fixPermissions: () => {
          steps.push('permissions')
          return Promise.resolve()
        },
      },
    })

    await h.runtime.power('start')

    expect(steps).toEqual(['disk', 'configs', 'permissions'])
    expect(h.console).toEqual([notice(NOTICES.configFiles), notice(NOTICES.permissions)])
  })

  it('goes through stopping to offline when the runtime fails to start, with no crash handling', async () => {
    const h = harness()
    failStart(h.env, new Error('image not found'))

    await expect(h.runtime.power('start')).rejects.toThrow('image not found')
    await settle()

    expect(h.states).toEqual(['starting', 'stopping', 'offline'])
    expect(h.console).toEqual([])
  })

  it('only attaches when the process already runs', async () => {
    const h = harness()
    h.env.running = true

    await h.runtime.power('start')

    expect(h.server.state).toBe('running')
    expect(h.env.calls).toEqual(['configure', 'attach'])
  })
})

describe('ServerRuntime: guards and the power lock', () => {
  it.each([
    ['installing', (s: Server) => s.setInstalling(true), 'server is currently installing'],
    [
      'transferring',
      (s: Server) => s.setTransferring(true),
      'server is currently being transferred',
    ],
    ['restoring', (s: Server) => s.setRestoring(true), 'server is currently being restored'],
  ])('refuses every action while %s', async (_flag, set, message) => {
    const h = harness()
    set(h.server)

    for (const action of ['start', 'stop', 'restart', 'kill'] as const) {
      await expect(h.runtime.power(action)).rejects.toThrow(message)
    }
    expect(h.env.calls).toEqual([])
  })

  it('runs one action at a time: a second fails at once, or waits for the first', async () => {
    let releaseSync = (): void => undefined
    const h = harness({
      preflight: {
        sync: () =>
          new Promise<void>((resolve) => {
            releaseSync = resolve
          }),
      },
    })
    const first = h.runtime.power('start')
    await settle()
    expect(h.runtime.isBusy).toBe(true)

    await expect(h.runtime.power('stop')).rejects.toThrow(LOCK_BUSY_MESSAGE)
    const waitingStop = h.runtime.power('stop', { waitMs: 30_000 })
    releaseSync()
    await first
    await waitingStop

    expect(h.server.state).toBe('offline')
    expect(h.env.calls).toEqual(['configure', 'start', 'stop'])
    expect(h.runtime.isBusy).toBe(false)
  })

  it('kills even while another action holds the lock', async () => {
    let releaseSync = (): void => undefined
    const h = harness({
      preflight: {
        sync: () =>
          new Promise<void>((resolve) => {
            releaseSync = resolve
          }),
      },
    })
    h.env.running = true
    const start = h.runtime.power('start')
    await settle()

    await h.runtime.power('kill')

    expect(h.env.calls).toEqual(['kill'])
    expect(h.env.running).toBe(false)
    expect(h.runtime.isBusy).toBe(true)
    releaseSync()
    await start
    expect(h.runtime.isBusy).toBe(false)
  })
})

describe('ServerRuntime: stop, restart, kill', () => {
  it('stops through stopping to offline, and that exit is no crash', async () => {
    const h = harness()
    await running(h)

    await h.runtime.power('stop')
    await settle()

    expect(h.states).toEqual(['starting', 'running', 'stopping', 'offline'])
    expect(h.console).toEqual([DONE_LINE])
  })

  it('kills a process that ignores the graceful stop once the grace is over', async () => {
    const h = harness()
    await running(h)
    h.env.onStop = 'ignore'

    await h.runtime.power('stop')

    expect(h.env.calls.slice(-2)).toEqual(['stop', 'kill'])
    expect(h.server.state).toBe('offline')
  })

  it('stopWithin without kill rejects when the process outlives the grace', async () => {
    const h = harness()
    await running(h)
    h.env.onStop = 'ignore'

    await expect(h.runtime.stopWithin(120_000, false)).rejects.toThrow('timed out')
    expect(h.server.state).toBe('stopping')
  })

  it('a stop of an offline server succeeds without touching the runtime', async () => {
    const h = harness()

    await h.runtime.power('stop')

    expect(h.env.calls).toEqual([])
    expect(h.states).toEqual([])
  })

  it('restarts: stops, then starts again under the same lock with a fresh sync', async () => {
    const h = harness()
    await running(h)

    await h.runtime.power('restart')

    expect(h.states).toEqual(['starting', 'running', 'stopping', 'offline', 'starting'])
    expect(h.syncs).toBe(2)
    expect(h.env.calls).toEqual(['configure', 'start', 'stop', 'configure', 'start'])
  })

  it('kill marks an offline server offline, and a running one goes through stopping', async () => {
    const h = harness()
    await running(h)

    await h.runtime.power('kill')
    await settle()

    expect(h.states.slice(-2)).toEqual(['stopping', 'offline'])
    expect(h.console).toEqual([DONE_LINE])
  })

  it('a stop command sent or echoed marks the server stopping, so its exit is no crash', async () => {
    const sent = harness()
    await running(sent)
    await sent.runtime.sendCommands(['say hi', 'stop'])
    const echoed = harness()
    await running(echoed)
    echoed.env.print('stop')

    expect(sent.env.commands).toEqual(['say hi', 'stop'])
    expect(sent.server.state).toBe('stopping')
    expect(echoed.server.state).toBe('stopping')
    sent.env.exit(0)
    echoed.env.exit(0)
    await settle()
    expect(sent.console).toEqual([DONE_LINE])
    expect(echoed.console).toEqual([DONE_LINE, 'stop'])
  })

  it('destroy removes the runtime and leaves the server offline', async () => {
    const h = harness()
    await running(h)

    await h.runtime.destroy()

    expect(h.env.calls).toContain('destroy')
    expect(h.server.state).toBe('offline')
  })
})

describe('ServerRuntime: crash detection', () => {
  it('reports the crash and starts the server again', async () => {
    const h = harness()
    await running(h)

    h.env.exit(3, true)
    await settle()

    expect(h.console.slice(1)).toEqual([
      notice(NOTICES.crashed),
      notice('Exit code: 3'),
      notice('Out of memory: true'),
    ])
    expect(h.server.state).toBe('starting')
    expect(h.env.calls.filter((c) => c === 'start')).toHaveLength(2)
  })

  it('does not restart twice within the crash timeout, and does again after it', async () => {
    const h = harness()
    await running(h)
    h.env.exit(1)
    await settle()
    h.env.print(DONE_LINE)

    h.clock.advance(59_000)
    h.env.exit(1)
    await settle()
    expect(h.server.state).toBe('offline')
    expect(h.console.at(-1)).toBe(
      notice('Aborting automatic restart, last crash occurred less than 60 seconds ago.'),
    )

    h.clock.advance(2_000)
    await running(h)
    h.env.exit(1)
    await settle()
    expect(h.server.state).toBe('starting')
  })

  it('counts crashes, and restarts after a crash or by the restart action', async () => {
    const h = harness()
    await running(h)
    h.env.exit(1)
    await settle()
    h.env.print(DONE_LINE)
    h.clock.advance(1_000)
    h.env.exit(2)
    await settle()
    const afterCrashes = { crashes: h.runtime.crashCount, restarts: h.runtime.restartCount }

    await h.runtime.power('start')
    h.env.print(DONE_LINE)
    await h.runtime.power('restart')

    expect(afterCrashes).toEqual({ crashes: 2, restarts: 1 })
    expect({ crashes: h.runtime.crashCount, restarts: h.runtime.restartCount }).toEqual({
      crashes: 2,
      restarts: 2,
    })
  })

  it('restarts after every crash when the timeout is 0', async () => {
    const h = harness()
    h.settings = {
      ...h.settings,
      crashDetection: { ...h.settings.crashDetection, timeoutSeconds: 0 },
    }
    await running(h)

    for (let i = 0; i < 3; i++) {
      h.env.exit(1)
      await settle()
      expect(h.server.state).toBe('starting')
    }
  })

  it('takes a clean exit as a crash only when detect_clean_exit_as_crash is on', async () => {
    const strict = harness()
    const lenient = harness()
    lenient.settings = {
      ...lenient.settings,
      crashDetection: { ...lenient.settings.crashDetection, detectCleanExitAsCrash: false },
    }
    await running(strict)
    await running(lenient)

    strict.env.exit(0)
    lenient.env.exit(0)
    await settle()

    expect(strict.server.state).toBe('starting')
    expect(lenient.server.state).toBe('offline')
    expect(lenient.console).toEqual([DONE_LINE])
  })

  it('says so and stays offline when crash detection is off for the node or the server', async () => {
    const node = harness()
    node.settings = {
      ...node.settings,
      crashDetection: { ...node.settings.crashDetection, enabled: false },
    }
    const base = buildServerConfiguration(UUID)
    const server = harness({
      configuration: { ...base, settings: { ...base.settings, crashDetectionEnabled: false } },
    })
    await running(node)
    await running(server)

    node.env.exit(1)
    server.env.exit(1)
    await settle()

    for (const h of [node, server]) {
      expect(h.server.state).toBe('offline')
      expect(h.console.at(-1)).toBe(notice(NOTICES.crashDisabled))
    }
  })

  it('says so when the restart after a crash fails', async () => {
    const h = harness()
    await running(h)
    failStart(h.env, new Error('no such image'))

    h.env.exit(1)
    await settle()
    await settle()

    expect(h.console.at(-1)).toBe(notice(NOTICES.crashFailed))
    expect(h.server.state).toBe('offline')
  })
})

describe('ServerRuntime: console and stats', () => {
  it('drops lines over the throttle with one notice per streak, and resets on start', async () => {
    const h = harness()
    h.settings = { ...h.settings, throttle: { lines: 2, intervalMs: 100 } }
    await running(h)
    h.env.print('a')
    h.env.print('b')
    h.env.print('c')

    expect(h.console).toEqual([DONE_LINE, 'a', notice(NOTICES.throttled)])

    await h.runtime.power('restart')
    h.env.print('after restart')
    expect(h.console.at(-1)).toBe('after restart')
  })

  it('still detects the done line among throttled lines', async () => {
    const h = harness()
    h.settings = { ...h.settings, throttle: { lines: 1, intervalMs: 100 } }
    await h.runtime.power('start')
    h.env.print('first')
    h.env.print(DONE_LINE)

    expect(h.server.state).toBe('running')
    expect(h.console).toEqual(['first', notice(NOTICES.throttled)])
  })

  it('records stats samples and prints image pull notices', async () => {
    const h = harness()
    await running(h)
    const installOutput: string[] = []
    h.server.events.subscribe('install output', (line) => installOutput.push(line))

    h.env.emit('stats', { ...ZERO_RESOURCE_SAMPLE, memoryBytes: 1024 })
    h.env.emit('pull', { kind: 'started', image: 'x' })
    h.env.emit('pull', { kind: 'progress', line: 'Downloading' })
    h.env.emit('pull', { kind: 'finished', image: 'x' })

    expect(h.server.resourceUsage().memoryBytes).toBe(1024)
    expect(h.console.slice(-2)).toEqual([notice(NOTICES.pullStarted), notice(NOTICES.pullFinished)])
    expect(installOutput).toEqual(['Downloading'])
  })
})

describe('ServerRuntime: reconcile at boot', () => {
  it('adopts a running process', async () => {
    const h = harness()
    h.env.running = true

    await h.runtime.reconcile('offline')

    expect(h.server.state).toBe('running')
    expect(h.env.calls).toEqual(['attach'])
  })

  it('starts a server that was running when the daemon stopped but no longer runs', async () => {
    const h = harness()

    await h.runtime.reconcile('running')

    expect(h.server.state).toBe('starting')
  })

  it('leaves a server that was offline offline', async () => {
    const h = harness()

    await h.runtime.reconcile(undefined)

    expect(h.server.state).toBe('offline')
    expect(h.env.calls).toEqual([])
  })
})
