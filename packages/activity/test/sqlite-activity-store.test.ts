import { stat } from 'node:fs/promises'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'

import { afterEach, describe, expect, it } from 'vitest'

import { createTempDir, type TempDir } from '@node/testkit'

import { SqliteActivityStore } from '../src/index.js'
import { describeActivityStoreContract, InMemoryActivityStore } from '../src/testing/index.js'

const dirs: TempDir[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await dir[Symbol.asyncDispose]()
})

async function databaseFile(): Promise<string> {
  const dir = await createTempDir('activity-store-')
  dirs.push(dir)
  return path.join(dir.path, 'wings.db')
}

const LIMITS = { maxRows: 100, maxRowsPerServer: 100 }
const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const ROW = {
  event: 'server:power.start',
  server: SERVER,
  user: null,
  ip: '2001:db8::1',
  metadata: {},
  timestamp: Date.UTC(2024, 2, 17, 20, 58, 30, 5),
}

describeActivityStoreContract('SqliteActivityStore', async () =>
  SqliteActivityStore.open({ file: await databaseFile() }),
)
describeActivityStoreContract('InMemoryActivityStore', () =>
  Promise.resolve(new InMemoryActivityStore()),
)

describe('SqliteActivityStore', () => {
  it('keeps its rows and its counts across a reopening, in a file only its owner reads', async () => {
    const file = await databaseFile()
    const first = await SqliteActivityStore.open({ file })
    await first.append(ROW, LIMITS)
    await first.close()

    const second = await SqliteActivityStore.open({ file })

    expect(await second.read('other', 0, 10)).toEqual([{ ...ROW, id: 1 }])
    expect(await second.count(SERVER)).toBe(1)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    await second.close()
  })

  it('reads the rows Wings left in its wings.db, and Wings can read ours', async () => {
    const file = await databaseFile()
    const ours = await SqliteActivityStore.open({ file })
    await ours.append(ROW, LIMITS)
    await ours.close()
    const wings = new DatabaseSync(file)
    wings
      .prepare(
        'INSERT INTO activities (user, server, event, metadata, ip, timestamp) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        '0f8fad5b-d9cb-469f-a165-70867728950e',
        SERVER,
        'server:sftp.write',
        '{"files":["/a.txt"]}',
        '203.0.113.7',
        '2024-03-17 22:58:30.123456789+02:00',
      )
    const written = wings.prepare('SELECT timestamp FROM activities WHERE id = 1').get()
    wings.close()

    const reopened = await SqliteActivityStore.open({ file })

    expect(written).toEqual({ timestamp: '2024-03-17 20:58:30.005+00:00' })
    expect(await reopened.read('sftp', 0, 10)).toEqual([
      {
        id: 2,
        event: 'server:sftp.write',
        server: SERVER,
        user: '0f8fad5b-d9cb-469f-a165-70867728950e',
        ip: '203.0.113.7',
        metadata: { files: ['/a.txt'] },
        timestamp: Date.UTC(2024, 2, 17, 20, 58, 30, 123),
      },
    ])
    expect(await reopened.count()).toBe(2)
    await reopened.close()
  })
})
