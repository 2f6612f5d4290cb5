import path from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'

import { HttpPanelGateway } from '@node/panel-client'
import { sampleFixture, startPanelSim, type PanelSim } from '@node/panel-sim'
import { MemoryLogger } from '@node/shared-kernel/testing'
import { createTempDir, type TempDir } from '@node/testkit'

import {
  ActivityLog,
  SqliteActivityStore,
  type ActivityEvent,
  type ActivitySettings,
} from '@node/activity'

// The activity log against panel-sim over real HTTP, on a real SQLite file: what the Panel's
// activity table ends up holding.

const TOKEN_ID = 'Q0mVwY8pXb3Kc7Rt'
const TOKEN = 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2'
const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const ADMIN = '5e4c2b8a-7f61-4c1e-9a3d-2b7f0c9e8d41'
const SETTINGS: ActivitySettings = {
  sendIntervalMs: 60_000,
  sendCount: 100,
  maxRows: 10_000,
  maxRowsPerServer: 10_000,
}

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

interface Node {
  readonly sim: PanelSim
  readonly file: string
  readonly logger: MemoryLogger
  /** Opens an activity log on the node's database, as a daemon start does. */
  open(settings?: Partial<ActivitySettings>): Promise<ActivityLog>
}

async function node(): Promise<Node> {
  const sim = await startPanelSim({ fixture: sampleFixture() })
  cleanup.push(() => sim.close())
  const dir: TempDir = await createTempDir('activity-')
  cleanup.push(async () => {
    await dir[Symbol.asyncDispose]()
  })
  const panel = new HttpPanelGateway({
    baseUrl: sim.url,
    tokenId: TOKEN_ID,
    token: TOKEN,
    timeoutMs: 5_000,
    userAgentVersion: '1.11.11',
    retry: { initialIntervalMs: 5, maxIntervalMs: 10, maxElapsedMs: 30 },
  })
  cleanup.push(() => Promise.resolve(panel.close()))
  const file = path.join(dir.path, 'wings.db')
  const logger = new MemoryLogger()
  return {
    sim,
    file,
    logger,
    async open(settings = {}) {
      const log = new ActivityLog({
        store: await SqliteActivityStore.open({ file }),
        panel,
        settings: () => ({ ...SETTINGS, ...settings }),
        logger,
      })
      cleanup.push(() => log.close())
      return log
    },
  }
}

const command = (text: string): ActivityEvent => ({
  event: 'server:console.command',
  server: SERVER,
  user: ADMIN,
  ip: '203.0.113.7:51234',
  metadata: { command: text },
})

/** The entries the daemon posted, as the Panel stored them. */
function received(sim: PanelSim) {
  return sim.activity().filter((a) => a.source === 'daemon')
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
  if (!check()) throw new Error(`timed out waiting for ${what}`)
}

describe('ActivityLog with panel-sim', () => {
  it('delivers every event of the table as the Panel stores it', async () => {
    const { sim, open } = await node()
    const log = await open()
    const at = Date.UTC(2024, 2, 17, 20, 58, 30, 123)

    log.record({ ...command('say hi'), timestamp: at })
    log.record({
      event: 'server:power.start',
      server: SERVER,
      user: ADMIN,
      ip: '::ffff:10.0.0.9',
      timestamp: at,
    })
    log.record({
      event: 'server:file.uploaded',
      server: SERVER,
      user: ADMIN,
      ip: '[2001:db8::7]:443',
      metadata: { file: 'a.txt', directory: '/plugins' },
      timestamp: at,
    })
    for (const [file, second] of [
      ['/w1', 1],
      ['/w2', 2],
    ] as const) {
      log.record({
        event: 'server:sftp.write',
        server: SERVER,
        user: ADMIN,
        ip: '203.0.113.7',
        metadata: { files: [file] },
        timestamp: at + second * 1000,
      })
    }
    log.record({
      event: 'server:sftp.rename',
      server: SERVER,
      user: ADMIN,
      ip: '203.0.113.7',
      metadata: { files: [{ from: '/a', to: '/b' }] },
      timestamp: at,
    })
    await log.sendNow()

    const stored = received(sim).map((a) => [a.event, a.ip, a.userUuid, a.properties, a.timestamp])
    expect(stored).toEqual([
      [
        'server:console.command',
        '203.0.113.7',
        ADMIN,
        { command: 'say hi' },
        '2024-03-17T20:58:30.000Z',
      ],
      ['server:power.start', '10.0.0.9', ADMIN, {}, '2024-03-17T20:58:30.000Z'],
      [
        'server:file.uploaded',
        '2001:db8::7',
        ADMIN,
        { file: 'a.txt', directory: '/plugins' },
        '2024-03-17T20:58:30.000Z',
      ],
      [
        'server:sftp.write',
        '203.0.113.7',
        ADMIN,
        { files: ['/w1', '/w2'] },
        '2024-03-17T20:58:31.000Z',
      ],
      [
        'server:sftp.rename',
        '203.0.113.7',
        ADMIN,
        { files: [{ from: '/a', to: '/b' }] },
        '2024-03-17T20:58:30.000Z',
      ],
    ])
  })

  it('loses and repeats nothing through a Panel outage of several intervals', async () => {
    const { sim, open, logger } = await node()
    // Every attempt of the next three runs fails: 503s, then a Panel that hangs up.
    sim.failNext({ path: '/api/remote/activity', status: 503, times: 8 })
    sim.failNext({ path: '/api/remote/activity', drop: true, times: 8 })
    const log = await open({ sendIntervalMs: 5, sendCount: 7 })
    log.start()

    for (let i = 0; i < 20; i++) log.record(command(`before ${i}`))
    await until(
      () => logger.records.filter((r) => r.message.startsWith('failed to send')).length >= 3,
      'three failed runs',
    )
    for (let i = 0; i < 20; i++) log.record(command(`during ${i}`))
    await until(() => received(sim).length >= 40, 'the whole backlog')
    await log.close()

    const commands = received(sim).map((a) => a.properties['command'])
    expect(commands).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `before ${i}`),
      ...Array.from({ length: 20 }, (_, i) => `during ${i}`),
    ])
  })

  it('sends what was recorded before a restart, once', async () => {
    const { sim, open } = await node()
    const before = await open()
    before.record(command('typed just before the restart'))
    await before.close()

    const after = await open()
    await after.sendNow()
    await after.sendNow()

    expect(received(sim).map((a) => a.properties['command'])).toEqual([
      'typed just before the restart',
    ])
  })

  it('holds its bound under a flood and delivers the oldest events it kept', async () => {
    const { sim, open, logger } = await node()
    const log = await open({ maxRows: 300, maxRowsPerServer: 150 })

    for (let i = 0; i < 5000; i++) log.record(command(`flood ${i}`))
    log.record({ ...command('a quiet server'), server: '6f1f2c1e-8f7a-4f5e-9c3b-2a1d0e9f8c7b' })
    await log.sendNow()
    await log.sendNow()

    expect(received(sim).map((a) => a.properties['command'])).toEqual(
      Array.from({ length: 150 }, (_, i) => `flood ${i}`),
    )
    expect(logger.records.map((r) => [r.message, r.fields['dropped']])).toContainEqual([
      'activity events were dropped while the store was full',
      4850,
    ])
  })

  it('drops what the Panel refuses as invalid, with a log line, and delivers the rest', async () => {
    const { sim, open, logger } = await node()
    const log = await open()

    log.record(command('one'))
    log.record({ ...command('not a server of the Panel'), server: 'not-a-uuid' })
    log.record(command('two'))
    await log.sendNow()
    await log.sendNow()

    expect(received(sim).map((a) => a.properties['command'])).toEqual(['one', 'two'])
    const drops = logger.records.filter(
      (r) => r.message === 'dropping activity the Panel refused as invalid',
    )
    expect(drops.map((r) => r.fields['server_id'])).toEqual(['not-a-uuid'])
  })
})
