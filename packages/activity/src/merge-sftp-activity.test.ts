import { describe, expect, it } from 'vitest'

import type { StoredActivity } from './activity.js'
import { SftpActivityMerger } from './merge-sftp-activity.js'

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const USER = '0f8fad5b-d9cb-469f-a165-70867728950e'
const MINUTE = Date.UTC(2024, 2, 17, 20, 58)

function row(id: number, overrides: Partial<StoredActivity> = {}): StoredActivity {
  return {
    id,
    event: 'server:sftp.delete',
    server: SERVER,
    user: USER,
    ip: '203.0.113.7',
    metadata: { files: [`/f${id}`] },
    timestamp: MINUTE + id * 1000,
    ...overrides,
  }
}

describe('SftpActivityMerger', () => {
  it('merges the rows of one user, server, ip, event and minute, stamped with the earliest', () => {
    const merger = new SftpActivityMerger(100)

    for (const r of [row(3), row(1), row(2)]) merger.add(r)

    expect(merger.entries()).toEqual([
      {
        ids: [3, 1, 2],
        activity: {
          event: 'server:sftp.delete',
          server: SERVER,
          user: USER,
          ip: '203.0.113.7',
          metadata: { files: ['/f3', '/f1', '/f2'] },
          timestamp: MINUTE + 1000,
        },
      },
    ])
  })

  it('keeps apart what differs in event, ip, user or minute', () => {
    const merger = new SftpActivityMerger(100)

    merger.add(row(1))
    merger.add(row(2, { event: 'server:sftp.write' }))
    merger.add(row(3, { ip: '203.0.113.8' }))
    merger.add(row(4, { user: null }))
    merger.add(row(5, { timestamp: MINUTE + 60_000 }))

    expect(merger.entries().map((e) => e.ids)).toEqual([[1], [2], [3], [4], [5]])
  })

  it('merges renames as their from/to pairs', () => {
    const merger = new SftpActivityMerger(100)
    const rename = (id: number, from: string, to: string) =>
      row(id, { event: 'server:sftp.rename', metadata: { files: [{ from, to }] } })

    merger.add(rename(1, '/a', '/b'))
    merger.add(rename(2, '/c', '/d'))

    expect(merger.entries()[0]?.activity.metadata).toEqual({
      files: [
        { from: '/a', to: '/b' },
        { from: '/c', to: '/d' },
      ],
    })
  })

  it('starts no group past its limit and leaves those rows out of every entry', () => {
    const merger = new SftpActivityMerger(1)

    expect(merger.add(row(1))).toBe(true)
    expect(merger.add(row(2, { event: 'server:sftp.write' }))).toBe(false)
    expect(merger.add(row(3))).toBe(true)

    expect(merger.full).toBe(true)
    expect(merger.entries().map((e) => e.ids)).toEqual([[1, 3]])
  })
})
