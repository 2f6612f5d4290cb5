import { mkdir } from 'node:fs/promises'
import path from 'node:path'

import { Client, type SFTPWrapper } from 'ssh2'
import { afterEach, describe, expect, it } from 'vitest'

import { Jail } from '@node/filesystem-jail'
import { HttpPanelGateway } from '@node/panel-client'
import { sampleFixture, startPanelSim } from '@node/panel-sim'
import { SftpServer } from '@node/sftp'
import { MemoryLogger } from '@node/shared-kernel/testing'
import { createTempDir } from '@node/testkit'

import { ActivityLog, SqliteActivityStore } from '@node/activity'

// The SFTP server's activity, through the activity log, to panel-sim over HTTP: a real client
// logged in with the Panel's credentials, rows merged as the reference merges them.

const TOKEN_ID = 'Q0mVwY8pXb3Kc7Rt'
const TOKEN = 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2'
const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const ADMIN = '5e4c2b8a-7f61-4c1e-9a3d-2b7f0c9e8d41'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

async function sftpSession(port: number): Promise<SFTPWrapper> {
  const client = new Client()
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve).once('error', reject)
    client.connect({
      host: '127.0.0.1',
      port,
      username: `admin.${SERVER.slice(0, 8)}`,
      password: 'password',
    })
  })
  client.on('error', () => undefined)
  cleanup.push(async () => {
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
    client.end()
    await closed
  })
  return new Promise((resolve, reject) =>
    client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))),
  )
}

const call = <A extends unknown[]>(
  fn: (...args: [...A, (err: Error | null | undefined) => void]) => void,
  ...args: A
): Promise<void> =>
  new Promise((resolve, reject) => fn(...args, (err) => (err ? reject(err) : resolve())))

describe('SFTP activity', () => {
  it('reaches the Panel merged per user, server, address, event and minute', async () => {
    const sim = await startPanelSim({ fixture: sampleFixture() })
    cleanup.push(() => sim.close())
    const panel = new HttpPanelGateway({
      baseUrl: sim.url,
      tokenId: TOKEN_ID,
      token: TOKEN,
      timeoutMs: 5_000,
      userAgentVersion: '1.11.11',
    })
    cleanup.push(() => Promise.resolve(panel.close()))
    const dir = await createTempDir('sftp-activity-')
    cleanup.push(async () => {
      await dir[Symbol.asyncDispose]()
    })
    const root = path.join(dir.path, SERVER)
    await mkdir(root)
    const jail = await Jail.open(root, { diskCheckIntervalMs: 0 })
    cleanup.push(() => jail.close())
    const log = new ActivityLog({
      store: await SqliteActivityStore.open({ file: path.join(dir.path, 'wings.db') }),
      panel,
      settings: () => ({
        sendIntervalMs: 60_000,
        sendCount: 100,
        maxRows: 1000,
        maxRowsPerServer: 1000,
      }),
      logger: new MemoryLogger(),
    })
    cleanup.push(() => log.close())
    const view = {
      jail,
      suspended: false,
      installing: false,
      restoring: false,
      transferring: false,
    }
    const server = new SftpServer({
      bindAddress: '127.0.0.1',
      bindPort: 0,
      hostKeyPath: path.join(dir.path, '.sftp', 'id_ed25519'),
      panel,
      servers: (uuid) => (uuid === SERVER ? view : undefined),
      onActivity: (activity) => log.record(activity),
    })
    const { port } = await server.listen()
    cleanup.push(() => server.close())
    const sftp = await sftpSession(port)

    const created = ['/a.txt', '/b.txt', '/c.txt', '/d.txt']
    for (const file of created) await call(sftp.writeFile.bind(sftp), file, 'x')
    await call(sftp.writeFile.bind(sftp), '/a.txt', 'again')
    for (const file of created) await call(sftp.unlink.bind(sftp), file)
    await log.sendNow()

    const entries = sim.activity().filter((a) => a.source === 'daemon')
    const files = (event: string) =>
      entries.filter((a) => a.event === event).flatMap((a) => a.properties['files'] as string[])
    expect(files('server:sftp.create')).toEqual(created)
    expect(files('server:sftp.write')).toEqual(['/a.txt'])
    expect(files('server:sftp.delete')).toEqual(created)
    // Nine operations, merged: one entry per event, two where a minute ended meanwhile.
    expect(entries.length).toBeLessThanOrEqual(6)
    expect(entries.every((a) => a.userUuid === ADMIN && a.ip === '127.0.0.1')).toBe(true)
  })
})
