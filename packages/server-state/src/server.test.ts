import { describe, expect, it } from 'vitest'

import { MemoryLogger } from '@node/shared-kernel/testing'

import type { ServerEvent } from './model/server-events.js'
import { InvalidConfigurationError } from './model/validate-server-configuration.js'
import { Server } from './server.js'
import { buildServerConfiguration } from './testing/index.js'

const UUID = 'c2a4e8f0-1b3d-4e5f-8a9b-0c1d2e3f4a5b'

const SAMPLE = {
  memoryBytes: 671088640,
  memoryLimitBytes: 1181116006,
  cpuAbsolute: 12.345,
  network: { rxBytes: 676237, txBytes: 1097738 },
  uptime: 3600000,
}

function recordEvents(server: Server): ServerEvent[] {
  const events: ServerEvent[] = []
  server.events.subscribeAll((event) => events.push(event))
  return events
}

describe('Server', () => {
  it('starts offline, unflagged, with zero usage', () => {
    const server = new Server({ configuration: buildServerConfiguration(UUID) })

    expect(server.uuid).toBe(UUID)
    expect(server.state).toBe('offline')
    expect([
      server.isSuspended,
      server.isInstalling,
      server.isTransferring,
      server.isRestoring,
    ]).toEqual([false, false, false, false])
    expect(server.resourceUsage()).toEqual({
      memoryBytes: 0,
      memoryLimitBytes: 0,
      cpuAbsolute: 0,
      network: { rxBytes: 0, txBytes: 0 },
      uptime: 0,
      state: 'offline',
      diskBytes: 0,
    })
  })

  it('refuses an invalid configuration at construction', () => {
    const broken = buildServerConfiguration(UUID, { settings: { invocation: 42 as never } })

    expect(() => new Server({ configuration: broken })).toThrow(InvalidConfigurationError)
  })

  describe('applyConfiguration', () => {
    it('replaces the configuration as a whole', () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID) })
      const next = buildServerConfiguration(UUID, {
        settings: { invocation: './start.sh', suspended: true },
      })

      server.applyConfiguration(next)

      expect(server.configuration).toEqual(next)
      expect(server.isSuspended).toBe(true)
    })

    it('changes nothing when the new configuration is invalid', () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID) })
      const before = server.configuration
      const broken = buildServerConfiguration(UUID, {
        settings: { invocation: './start.sh', suspended: true },
        process: { stop: { type: 'explode' as never, value: '' } },
      })

      expect(() => server.applyConfiguration(broken)).toThrow(InvalidConfigurationError)

      expect(server.configuration).toBe(before)
      expect(server.configuration.settings.invocation).toBe(
        'java -Xmx{{SERVER_MEMORY}}M -jar {{SERVER_JARFILE}}',
      )
      expect(server.isSuspended).toBe(false)
    })

    it("refuses another server's configuration", () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID) })
      const other = buildServerConfiguration('d3aac109-e5e0-4331-b03e-3454f7e136dc')

      expect(() => server.applyConfiguration(other)).toThrow(/settings\.uuid must be/)
      expect(server.configuration.settings.uuid).toBe(UUID)
    })

    it('is not affected by later changes to the object it was given', () => {
      const given = structuredClone(buildServerConfiguration(UUID)) as {
        settings: { invocation: string }
      }
      const server = new Server({ configuration: buildServerConfiguration(UUID) })
      server.applyConfiguration(given as never)

      given.settings.invocation = 'rm -rf /'

      expect(server.configuration.settings.invocation).not.toBe('rm -rf /')
      expect(Object.isFrozen(server.configuration.settings.build)).toBe(true)
    })
  })

  describe('setState', () => {
    it('publishes status on change only and returns the previous state', () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID) })
      const events = recordEvents(server)

      const first = server.setState('starting')
      const second = server.setState('starting')
      const third = server.setState('running')

      expect([first, second, third]).toEqual(['offline', 'starting', 'starting'])
      expect(events).toEqual([
        { name: 'status', payload: 'starting' },
        { name: 'status', payload: 'running' },
      ])
    })

    it('zeroes the counters and publishes stats when the server goes offline', () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID) })
      server.setDiskBytes(2147483648)
      server.setState('running')
      server.recordResourceSample(SAMPLE)
      const events = recordEvents(server)

      server.setState('offline')

      expect(events).toEqual([
        { name: 'status', payload: 'offline' },
        {
          name: 'stats',
          payload: {
            memoryBytes: 0,
            memoryLimitBytes: 0,
            cpuAbsolute: 0,
            network: { rxBytes: 0, txBytes: 0 },
            uptime: 0,
            state: 'offline',
            diskBytes: 2147483648,
          },
        },
      ])
      expect(server.resourceUsage().memoryBytes).toBe(0)
    })

    it('refuses a value that is not a state', () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID) })

      expect(() => server.setState('crashed' as never)).toThrow(TypeError)
      expect(server.state).toBe('offline')
    })
  })

  describe('resource usage', () => {
    it('publishes each sample with the current state and cached disk usage', () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID) })
      server.setState('running')
      server.setDiskBytes(1024)
      const stats: unknown[] = []
      server.events.subscribe('stats', (usage) => stats.push(usage))

      const taken = server.recordResourceSample(SAMPLE)

      const expected = { ...SAMPLE, state: 'running', diskBytes: 1024 }
      expect(taken).toBe(true)
      expect(stats).toEqual([expected])
      expect(server.resourceUsage()).toEqual(expected)
    })

    it('ignores a sample that arrives while offline', () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID) })
      const stats: unknown[] = []
      server.events.subscribe('stats', (usage) => stats.push(usage))

      const taken = server.recordResourceSample(SAMPLE)

      expect(taken).toBe(false)
      expect(stats).toEqual([])
      expect(server.resourceUsage().memoryBytes).toBe(0)
    })

    it('turns negative or non-finite counters into zero', () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID) })
      server.setState('starting')

      server.recordResourceSample({
        ...SAMPLE,
        cpuAbsolute: Number.NaN,
        memoryBytes: -5,
        network: { rxBytes: Number.POSITIVE_INFINITY, txBytes: 7 },
      })

      expect(server.resourceUsage()).toMatchObject({
        cpuAbsolute: 0,
        memoryBytes: 0,
        network: { rxBytes: 0, txBytes: 7 },
      })
    })

    it('refuses a disk usage that is not a non-negative integer', () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID) })

      expect(() => server.setDiskBytes(-1)).toThrow(RangeError)
      expect(() => server.setDiskBytes(1.5)).toThrow(RangeError)
      expect(server.diskBytes).toBe(0)
    })
  })

  describe('flags', () => {
    it('keeps a forced suspension whatever the Panel says, until released', () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID) })

      server.forceSuspended()
      server.applyConfiguration(buildServerConfiguration(UUID, { settings: { suspended: false } }))
      const whileForced = server.isSuspended
      server.forceSuspended(false)

      expect(whileForced).toBe(true)
      expect(server.isSuspended).toBe(false)
    })

    it('sets and clears the installing, transferring and restoring flags independently', () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID) })

      server.setInstalling(true)
      server.setRestoring(true)
      server.setRestoring(false)
      server.setTransferring(true)

      expect([server.isInstalling, server.isTransferring, server.isRestoring]).toEqual([
        true,
        true,
        false,
      ])
    })
  })

  describe('console', () => {
    it('keeps the lines published as console output', () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID), consoleLines: 2 })

      server.events.publish('console output', 'a')
      server.events.publish('install output', 'not console')
      server.events.publish('console output', 'b')
      server.events.publish('console output', 'c')

      expect(server.console.last()).toEqual(['b', 'c'])
    })
  })

  describe('cancel', () => {
    it('aborts the signal, then closes the bus', () => {
      const server = new Server({ configuration: buildServerConfiguration(UUID) })
      const events = recordEvents(server)
      const seenOnAbort: boolean[] = []
      server.signal.addEventListener('abort', () => seenOnAbort.push(server.events.isClosed))
      server.events.publish('deleted', undefined)

      server.cancel()
      server.cancel()
      server.setState('running')

      expect(server.isCancelled).toBe(true)
      expect(server.signal.reason).toBeInstanceOf(Error)
      expect(seenOnAbort).toEqual([false])
      expect(events).toEqual([{ name: 'deleted', payload: undefined }])
    })
  })

  it('binds its uuid to the log lines of its bus', () => {
    const logger = new MemoryLogger()
    const server = new Server({ configuration: buildServerConfiguration(UUID), logger })
    server.events.subscribe('status', () => {
      throw new Error('boom')
    })

    server.setState('starting')

    expect(logger.records[0]?.fields).toMatchObject({ server_id: UUID, event: 'status' })
  })
})
