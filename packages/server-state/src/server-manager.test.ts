import { describe, expect, it } from 'vitest'

import { isDaemonError, NotFoundError } from '@node/shared-kernel'
import { FakeClock, MemoryLogger } from '@node/shared-kernel/testing'

import { InvalidConfigurationError } from './model/validate-server-configuration.js'
import type { ServerListEntry } from './ports/panel-gateway.js'
import type { SavedStates } from './ports/state-store.js'
import type { Server } from './server.js'
import { ServerManager } from './server-manager.js'
import {
  buildServerConfiguration,
  InMemoryPanelGateway,
  InMemoryStateStore,
  type PanelGatewayCall,
} from './testing/index.js'

const uuid = (n: number): string => `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, '0')}`

function panelWith(count: number): InMemoryPanelGateway {
  return new InMemoryPanelGateway(
    Array.from({ length: count }, (_, i) => buildServerConfiguration(uuid(i + 1))),
  )
}

/** Holds every call of `method` until released, in call order. */
function holdCalls(panel: InMemoryPanelGateway, method: PanelGatewayCall['method']) {
  const held: (() => void)[] = []
  panel.beforeCall = (call) =>
    call.method === method ? new Promise<void>((resolve) => held.push(resolve)) : undefined
  return {
    get count() {
      return held.length
    },
    release: (index: number) => held[index]?.(),
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (err: unknown) => err,
  )
}

describe('ServerManager', () => {
  describe('boot', () => {
    it('releases what initServer made for a uuid the Panel lists twice, and keeps the first', async () => {
      const panel = panelWith(1)
      const list = panel.listServers.bind(panel)
      panel.listServers = async (options) => {
        const entries = await list(options)
        return [...entries, ...entries]
      }
      const initialised: Server[] = []
      const released: Server[] = []
      const manager = new ServerManager({
        panel,
        bootConcurrency: 1,
        initServer: (server) => {
          initialised.push(server)
        },
        releaseServer: (server) => {
          released.push(server)
        },
      })

      const report = await manager.boot({ perPage: 50 })

      expect(report.loaded).toBe(1)
      expect(initialised).toHaveLength(2)
      expect(released).toEqual([initialised[1]])
      expect(initialised[1]?.isCancelled).toBe(true)
      expect(manager.get(uuid(1))).toBe(initialised[0])
    })

    it('loads every server over many pages, in list order', async () => {
      const panel = panelWith(230)
      const manager = new ServerManager({
        panel,
        bootConcurrency: 3,
        // Odd servers take longer, so initialisation finishes out of list order.
        initServer: async (server) => {
          if (Number(server.uuid.slice(-3)) % 2 === 1) await tick()
        },
      })

      const report = await manager.boot({ perPage: 50 })

      expect(panel.pagesServed).toEqual([0, 2, 3, 4, 5])
      expect(report).toEqual({ loaded: 230, skipped: [] })
      expect(manager.all().map((s) => s.uuid)).toEqual(
        Array.from({ length: 230 }, (_, i) => uuid(i + 1)),
      )
      expect(manager.get(uuid(117))?.configuration.settings.uuid).toBe(uuid(117))
    })

    it('skips and logs broken entries and servers that fail to initialise', async () => {
      const panel = panelWith(5)
      panel.putBrokenServer(uuid(6), new Error('process_configuration: bad JSON'))
      panel.putServer(buildServerConfiguration(uuid(7), { settings: { build: 'none' as never } }))
      const logger = new MemoryLogger()
      const manager = new ServerManager({
        panel,
        logger,
        initServer: (server) => {
          if (server.uuid === uuid(2)) throw new Error('cannot create the data directory')
        },
      })

      const report = await manager.boot({ perPage: 2 })

      expect(manager.all().map((s) => s.uuid)).toEqual([uuid(1), uuid(3), uuid(4), uuid(5)])
      expect(report.loaded).toBe(4)
      expect(report.skipped.map((s) => s.uuid).sort()).toEqual([uuid(2), uuid(6), uuid(7)])
      const skippedLogs = logger.records.filter(
        (r) => r.level === 'error' && r.message === 'failed to load server, skipping it',
      )
      expect(skippedLogs.map((r) => r.fields['server_id']).sort()).toEqual([
        uuid(2),
        uuid(6),
        uuid(7),
      ])
    })

    it('keeps the first of two entries with the same uuid', async () => {
      const first = buildServerConfiguration(uuid(1), { settings: { invocation: 'first' } })
      const second = buildServerConfiguration(uuid(1), { settings: { invocation: 'second' } })
      const panel = new InMemoryPanelGateway()
      panel.listServers = () =>
        Promise.resolve<ServerListEntry[]>([
          { uuid: uuid(1), configuration: first },
          { uuid: uuid(1), configuration: second },
        ])
      const manager = new ServerManager({ panel })

      const report = await manager.boot({ perPage: 50 })

      expect(manager.all()).toHaveLength(1)
      expect(manager.get(uuid(1))?.configuration.settings.invocation).toBe('first')
      expect(report.skipped).toHaveLength(1)
    })

    it('initialises each server before it is visible, at most N at a time', async () => {
      const panel = panelWith(12)
      let running = 0
      let peak = 0
      let visibleDuringInit = 0
      const manager: ServerManager = new ServerManager({
        panel,
        bootConcurrency: 4,
        initServer: async (server) => {
          running++
          peak = Math.max(peak, running)
          if (manager.get(server.uuid)) visibleDuringInit++
          await tick()
          running--
        },
      })

      await manager.boot({ perPage: 5 })

      expect(peak).toBe(4)
      expect(visibleDuringInit).toBe(0)
      expect(manager.all()).toHaveLength(12)
    })

    it('cancels a server whose initialisation failed', async () => {
      const panel = panelWith(1)
      let initialised: Server | undefined
      const manager = new ServerManager({
        panel,
        initServer: (server) => {
          initialised = server
          throw new Error('no environment')
        },
      })

      await manager.boot({ perPage: 50 })

      expect(initialised?.isCancelled).toBe(true)
    })

    it('fails when the server list cannot be fetched, and boots only once', async () => {
      const panel = panelWith(2)
      panel.failNext('listServers', new Error('failed to load server configurations'))
      const manager = new ServerManager({ panel })

      const failure = await rejectionOf(manager.boot({ perPage: 50 }))
      const again = await rejectionOf(manager.boot({ perPage: 50 }))

      expect(failure).toEqual(new Error('failed to load server configurations'))
      expect(again).toEqual(new Error('the server manager has already booted'))
      expect(manager.all()).toEqual([])
    })

    it('boots with no servers at all', async () => {
      const manager = new ServerManager({ panel: new InMemoryPanelGateway() })

      const report = await manager.boot({ perPage: 50 })

      expect(report).toEqual({ loaded: 0, skipped: [] })
    })
  })

  describe('the collection', () => {
    it('adds, finds, lists in order and removes servers without cancelling them', async () => {
      const panel = panelWith(2)
      const manager = new ServerManager({ panel })
      await manager.boot({ perPage: 50 })
      const extra = await new ServerManager({ panel: panelWith(3) }).createServer(uuid(3))

      manager.add(extra)
      const snapshot = manager.all()
      const removed = manager.remove(uuid(1))

      expect(snapshot.map((s) => s.uuid)).toEqual([uuid(1), uuid(2), uuid(3)])
      expect(removed?.uuid).toBe(uuid(1))
      expect(removed?.isCancelled).toBe(false)
      expect(manager.get(uuid(1))).toBeUndefined()
      expect(manager.remove(uuid(1))).toBeUndefined()
      expect(manager.all().map((s) => s.uuid)).toEqual([uuid(2), uuid(3)])
    })

    it('refuses to add a second server with the same uuid', async () => {
      const manager = new ServerManager({ panel: panelWith(1) })
      await manager.boot({ perPage: 50 })
      const twin = await new ServerManager({ panel: panelWith(1) }).createServer(uuid(1))

      const failure = (() => {
        try {
          manager.add(twin)
        } catch (err) {
          return err
        }
        return undefined
      })()

      expect(isDaemonError(failure) && failure.code).toBe('CONFLICT')
      expect(manager.get(uuid(1))).not.toBe(twin)
    })
  })

  describe('createServer', () => {
    it('fetches the configuration, initialises the server and adds it', async () => {
      const panel = panelWith(1)
      const initialised: string[] = []
      const manager = new ServerManager({
        panel,
        initServer: (server) => {
          initialised.push(server.uuid)
        },
      })

      const server = await manager.createServer(uuid(1))

      expect(initialised).toEqual([uuid(1)])
      expect(manager.get(uuid(1))).toBe(server)
      expect(server.configuration).toEqual(buildServerConfiguration(uuid(1)))
    })

    it('passes on the Panel NotFoundError and adds nothing', async () => {
      const manager = new ServerManager({ panel: panelWith(0) })

      const failure = await rejectionOf(manager.createServer(uuid(9)))

      expect(failure).toBeInstanceOf(NotFoundError)
      expect(manager.all()).toEqual([])
    })

    it('adds nothing when initialisation fails', async () => {
      const manager = new ServerManager({
        panel: panelWith(1),
        initServer: () => Promise.reject(new Error('disk full')),
      })

      const failure = await rejectionOf(manager.createServer(uuid(1)))

      expect(failure).toEqual(new Error('disk full'))
      expect(manager.get(uuid(1))).toBeUndefined()
    })

    it('refuses a uuid that exists or is being created', async () => {
      const panel = panelWith(1)
      const manager = new ServerManager({ panel })
      const held = holdCalls(panel, 'getServerConfiguration')

      const first = manager.createServer(uuid(1))
      const whileCreating = await rejectionOf(manager.createServer(uuid(1)))
      held.release(0)
      await first
      const afterwards = await rejectionOf(manager.createServer(uuid(1)))

      expect(isDaemonError(whileCreating) && whileCreating.code).toBe('CONFLICT')
      expect(isDaemonError(afterwards) && afterwards.code).toBe('CONFLICT')
      expect(manager.all()).toHaveLength(1)
    })

    it("refuses a Panel answer that carries another server's configuration", async () => {
      const panel = panelWith(0)
      panel.getServerConfiguration = () => Promise.resolve(buildServerConfiguration(uuid(2)))
      const manager = new ServerManager({ panel })

      const failure = await rejectionOf(manager.createServer(uuid(1)))

      expect(failure).toBeInstanceOf(InvalidConfigurationError)
      expect(manager.all()).toEqual([])
    })
  })

  describe('syncServer', () => {
    it('applies the configuration the Panel has now', async () => {
      const panel = panelWith(1)
      const manager = new ServerManager({ panel })
      await manager.boot({ perPage: 50 })
      panel.putServer(buildServerConfiguration(uuid(1), { settings: { suspended: true } }))

      const server = await manager.syncServer(uuid(1))

      expect(server.isSuspended).toBe(true)
    })

    it('rejects with NotFoundError for a server this node does not have', async () => {
      const manager = new ServerManager({ panel: panelWith(1) })

      const failure = await rejectionOf(manager.syncServer(uuid(1)))

      expect(failure).toEqual(
        new NotFoundError('The requested resource does not exist on this instance.'),
      )
    })

    it('passes on the Panel 404 and keeps the configuration', async () => {
      const panel = panelWith(1)
      const manager = new ServerManager({ panel })
      await manager.boot({ perPage: 50 })
      const before = manager.get(uuid(1))?.configuration
      panel.removeServer(uuid(1))

      const failure = await rejectionOf(manager.syncServer(uuid(1)))

      expect(failure).toBeInstanceOf(NotFoundError)
      expect(manager.get(uuid(1))?.configuration).toBe(before)
    })

    it('keeps the configuration when the Panel sends an invalid one', async () => {
      const panel = panelWith(1)
      const manager = new ServerManager({ panel })
      await manager.boot({ perPage: 50 })
      panel.putServer(
        buildServerConfiguration(uuid(1), {
          settings: { suspended: true, mounts: 'none' as never },
        }),
      )

      await rejectionOf(manager.syncServer(uuid(1)))

      expect(manager.get(uuid(1))?.isSuspended).toBe(false)
    })

    it('runs syncs of one server one after another, so the last one wins', async () => {
      const panel = panelWith(1)
      const manager = new ServerManager({ panel })
      await manager.boot({ perPage: 50 })
      const held = holdCalls(panel, 'getServerConfiguration')

      panel.putServer(buildServerConfiguration(uuid(1), { settings: { invocation: 'one' } }))
      const first = manager.syncServer(uuid(1))
      const second = manager.syncServer(uuid(1))
      await tick()
      const fetchesBeforeRelease = held.count
      panel.putServer(buildServerConfiguration(uuid(1), { settings: { invocation: 'two' } }))
      held.release(0)
      await first
      await tick()
      held.release(1)
      await second

      expect(fetchesBeforeRelease).toBe(1)
      expect(manager.get(uuid(1))?.configuration.settings.invocation).toBe('two')
    })

    it('keeps syncing after a failed sync', async () => {
      const panel = panelWith(1)
      const manager = new ServerManager({ panel })
      await manager.boot({ perPage: 50 })
      panel.failNext('getServerConfiguration', new Error('Panel is down'))

      const failure = await rejectionOf(manager.syncServer(uuid(1)))
      panel.putServer(buildServerConfiguration(uuid(1), { settings: { invocation: 'later' } }))
      await manager.syncServer(uuid(1))

      expect(failure).toEqual(new Error('Panel is down'))
      expect(manager.get(uuid(1))?.configuration.settings.invocation).toBe('later')
    })

    it('does not apply a configuration that arrives after the server was deleted', async () => {
      const panel = panelWith(1)
      const manager = new ServerManager({ panel })
      await manager.boot({ perPage: 50 })
      const server = manager.get(uuid(1)) as Server
      const held = holdCalls(panel, 'getServerConfiguration')
      panel.putServer(buildServerConfiguration(uuid(1), { settings: { invocation: 'late' } }))

      const sync = manager.syncServer(uuid(1))
      await tick()
      manager.remove(uuid(1))
      held.release(0)
      const failure = await rejectionOf(sync)

      expect(failure).toBeInstanceOf(NotFoundError)
      expect(server.configuration.settings.invocation).not.toBe('late')
    })

    it('aborts the Panel request when the server is cancelled', async () => {
      const panel = panelWith(1)
      const manager = new ServerManager({ panel })
      await manager.boot({ perPage: 50 })
      const server = manager.get(uuid(1)) as Server
      holdCalls(panel, 'getServerConfiguration')
      let seen: AbortSignal | undefined
      const fetch = panel.getServerConfiguration.bind(panel)
      panel.getServerConfiguration = (id, signal) => {
        seen = signal
        return fetch(id, signal)
      }

      void manager.syncServer(uuid(1)).catch(() => undefined)
      await tick()
      server.cancel()

      expect(seen?.aborted).toBe(true)
    })
  })

  describe('states', () => {
    it('loads the saved states of loaded servers only', async () => {
      const stateStore = new InMemoryStateStore({
        [uuid(1)]: 'running',
        [uuid(2)]: 'offline',
        [uuid(99)]: 'running',
      })
      const manager = new ServerManager({ panel: panelWith(3), stateStore })
      await manager.boot({ perPage: 50 })

      const states = await manager.loadStates()

      expect([...states]).toEqual([
        [uuid(1), 'running'],
        [uuid(2), 'offline'],
      ])
    })

    it('saves the state of every loaded server', async () => {
      const stateStore = new InMemoryStateStore({ [uuid(99)]: 'running' })
      const manager = new ServerManager({ panel: panelWith(2), stateStore })
      await manager.boot({ perPage: 50 })
      manager.get(uuid(2))?.setState('starting')

      await manager.saveStates()

      expect(await stateStore.load()).toEqual({ [uuid(1)]: 'offline', [uuid(2)]: 'starting' })
    })

    it('saves the states on every tick of the clock until stopped', async () => {
      const stateStore = new InMemoryStateStore()
      const clock = new FakeClock()
      const manager = new ServerManager({ panel: panelWith(1), stateStore, clock })
      await manager.boot({ perPage: 50 })

      const stop = manager.persistStatesEvery(60_000)
      clock.advance(59_999)
      await tick()
      const beforeFirstTick = stateStore.saves
      clock.advance(1)
      await tick()
      manager.get(uuid(1))?.setState('running')
      clock.advance(60_000)
      await tick()
      const afterTwoTicks = stateStore.saves
      stop()
      clock.advance(600_000)
      await tick()

      expect(beforeFirstTick).toBe(0)
      expect(afterTwoTicks).toBe(2)
      expect(stateStore.saves).toBe(2)
      expect(await stateStore.load()).toEqual({ [uuid(1)]: 'running' })
    })

    it('logs a failed periodic save and tries again at the next tick', async () => {
      const stateStore = new InMemoryStateStore()
      const realSave = stateStore.save.bind(stateStore)
      let failures = 1
      stateStore.save = (states: SavedStates) =>
        failures-- > 0 ? Promise.reject(new Error('read-only file system')) : realSave(states)
      const clock = new FakeClock()
      const logger = new MemoryLogger()
      const manager = new ServerManager({ panel: panelWith(1), stateStore, clock, logger })
      await manager.boot({ perPage: 50 })

      const stop = manager.persistStatesEvery(1000)
      clock.advance(1000)
      await tick()
      clock.advance(1000)
      await tick()
      stop()

      expect(
        logger.records.filter((r) => r.message === 'failed to save server states'),
      ).toHaveLength(1)
      expect(stateStore.saves).toBe(1)
    })

    it('needs a state store for state operations', async () => {
      const manager = new ServerManager({ panel: panelWith(0) })

      const failure = await rejectionOf(manager.loadStates())

      expect(failure).toEqual(new Error('the server manager has no state store'))
      expect(() => manager.persistStatesEvery()).toThrow('no state store')
    })
  })
})
