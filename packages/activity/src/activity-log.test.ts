import { describe, expect, it } from 'vitest'

import type { ActivityEntry } from '@node/server-state'
import { InMemoryPanelGateway } from '@node/server-state/testing'
import { InvalidError } from '@node/shared-kernel'
import { FakeClock, MemoryLogger } from '@node/shared-kernel/testing'

import { ActivityLog, activityTimestamp, type ActivitySettings } from './activity-log.js'
import { InMemoryActivityStore } from './testing/in-memory-activity-store.js'

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const USER = '0f8fad5b-d9cb-469f-a165-70867728950e'
const SETTINGS: ActivitySettings = {
  sendIntervalMs: 60_000,
  sendCount: 100,
  maxRows: 1000,
  maxRowsPerServer: 1000,
}

function setup(settings: Partial<ActivitySettings> = {}) {
  const clock = new FakeClock(Date.UTC(2024, 2, 17, 20, 58, 30))
  const store = new InMemoryActivityStore()
  const panel = new InMemoryPanelGateway()
  const logger = new MemoryLogger()
  const log = new ActivityLog({
    store,
    panel,
    settings: () => ({ ...SETTINGS, ...settings }),
    logger,
    clock,
  })
  return { clock, store, panel, logger, log }
}

const command = (text: string, ip = '203.0.113.7:51234') => ({
  event: 'server:console.command',
  server: SERVER,
  user: USER,
  ip,
  metadata: { command: text },
})

/** Lets the promise chains started by record() and the senders settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('ActivityLog', () => {
  it('sends what it recorded one interval later, with the port stripped, then forgets it', async () => {
    const { clock, store, panel, log } = setup()
    log.start()

    log.record(command('say hi'))
    await settle()
    clock.advance(60_000)
    await log.sendNow()

    expect(panel.activity).toEqual([
      {
        user: USER,
        server: SERVER,
        event: 'server:console.command',
        metadata: { command: 'say hi' },
        ip: '203.0.113.7',
        timestamp: '2024-03-17T20:58:30Z',
      },
    ])
    expect(await store.count()).toBe(0)
    await log.close()
  })

  it('keeps everything while the Panel is down and sends it once, in order, after', async () => {
    const { store, panel, log, logger } = setup()
    for (let i = 0; i < 3; i++) log.record(command(`c${i}`))
    await settle()
    panel.failNext('sendActivity', new Error('connect ECONNREFUSED'))
    panel.failNext('sendActivity', new Error('connect ECONNREFUSED'))

    await log.sendNow()
    await log.sendNow()

    expect(await store.count()).toBe(3)
    expect(logger.records.filter((r) => r.message.startsWith('failed to send'))).toHaveLength(2)

    await log.sendNow()

    expect(panel.activity.map((a) => a.metadata['command'])).toEqual(['c0', 'c1', 'c2'])
    expect(await store.count()).toBe(0)
    await log.close()
  })

  it('sends at most activity_send_count entries per run', async () => {
    const { store, panel, log } = setup({ sendCount: 2 })
    for (let i = 0; i < 5; i++) log.record(command(`c${i}`))
    await settle()

    await log.sendNow()

    expect(panel.activity).toHaveLength(2)
    expect(await store.count()).toBe(3)
    await log.close()
  })

  it('drops only the entries the Panel refuses as invalid, with a log line each', async () => {
    const { store, log, logger } = setup()
    const accepted: ActivityEntry[] = []
    const refusing = new ActivityLog({
      store,
      settings: () => SETTINGS,
      logger,
      panel: {
        sendActivity: (entries) => {
          if (entries.some((e) => e.metadata['command'] === 'bad')) {
            return Promise.reject(new InvalidError('The data.1.ip must be a valid IP address.'))
          }
          accepted.push(...entries)
          return Promise.resolve()
        },
      },
    })
    for (const text of ['a', 'bad', 'b', 'c', 'bad']) refusing.record(command(text))
    await settle()

    await refusing.sendNow()

    expect(accepted.map((a) => a.metadata['command'])).toEqual(['a', 'b', 'c'])
    expect(await store.count()).toBe(0)
    expect(
      logger.records.filter((r) => r.message === 'dropping activity the Panel refused as invalid'),
    ).toHaveLength(2)
    await refusing.close()
    await log.close()
  })

  it('keeps the oldest events once full and logs the drops, per server', async () => {
    const { store, log, logger } = setup({ maxRows: 100, maxRowsPerServer: 10 })

    for (let i = 0; i < 50; i++) log.record(command(`c${i}`))
    log.record({ ...command('other server'), server: '6f1f2c1e-8f7a-4f5e-9c3b-2a1d0e9f8c7b' })
    await settle()
    await log.close()

    expect(await store.count(SERVER)).toBe(10)
    expect(await store.count()).toBe(11)
    const lines = logger.records.map((r) => [r.message, r.fields['dropped']])
    expect(lines).toEqual([
      ['activity store is full: new events are dropped until the Panel takes some', undefined],
      ['activity events were dropped while the store was full', 40],
    ])
  })

  it('drops an event whose client address is no IP address', async () => {
    const { store, log, logger } = setup()

    log.record(command('x', 'not-an-ip'))
    await settle()

    expect(await store.count()).toBe(0)
    expect(logger.records[0]?.message).toBe('activity dropped: the client address is no IP address')
    await log.close()
  })

  it('merges SFTP events per user, server, ip, event and minute', async () => {
    const { panel, log } = setup()
    const sftp = (file: string, second: number) => ({
      event: 'server:sftp.delete',
      server: SERVER,
      user: USER,
      ip: '203.0.113.7',
      metadata: { files: [file] },
      timestamp: Date.UTC(2024, 2, 17, 20, 59, second),
    })
    log.record(sftp('/b', 30))
    log.record(sftp('/a', 10))
    log.record({ ...sftp('/c', 5), timestamp: Date.UTC(2024, 2, 17, 21, 0, 5) })
    await settle()

    await log.sendNow()

    expect(panel.activity.map((a) => [a.timestamp, a.metadata])).toEqual([
      ['2024-03-17T20:59:10Z', { files: ['/b', '/a'] }],
      ['2024-03-17T21:00:05Z', { files: ['/c'] }],
    ])
    await log.close()
  })

  it('runs a sender every interval, not before', async () => {
    const { clock, panel, log } = setup()
    log.start()
    log.record(command('x'))
    await settle()

    clock.advance(59_999)
    await settle()
    expect(panel.activity).toHaveLength(0)

    clock.advance(1)
    await settle()
    expect(panel.activity).toHaveLength(1)
    await log.close()
  })
})

describe('activityTimestamp', () => {
  it("trims the fraction's trailing zeros as Go's RFC3339Nano does", () => {
    expect(activityTimestamp(Date.UTC(2024, 2, 17, 20, 58, 30, 120))).toBe(
      '2024-03-17T20:58:30.12Z',
    )
    expect(activityTimestamp(Date.UTC(2024, 2, 17, 20, 59, 10))).toBe('2024-03-17T20:59:10Z')
  })
})
