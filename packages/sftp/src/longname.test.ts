import { constants } from 'node:fs'

import type { JailStats } from '@node/filesystem-jail'
import { describe, expect, it } from 'vitest'

import { longname, modeString } from './longname.js'

const NOW = Date.UTC(2026, 2, 17, 12, 0)

function stats(overrides: Partial<JailStats>): JailStats {
  return {
    kind: 'file',
    mode: constants.S_IFREG | 0o644,
    size: 1234,
    nlink: 1,
    uid: 988,
    gid: 988,
    dev: 1,
    ino: 1,
    atimeMs: NOW,
    mtimeMs: Date.UTC(2026, 2, 5, 9, 7),
    ctimeMs: NOW,
    ...overrides,
  }
}

describe('longname', () => {
  it('prints a recent file as ls -l does, with the time of day', () => {
    expect(longname('server.properties', stats({}), NOW)).toBe(
      '-rw-r--r--    1 988      988          1234 Mar  5 09:07 server.properties',
    )
  })

  it('prints the year instead of the time for an old file', () => {
    const old = stats({ mtimeMs: Date.UTC(2024, 10, 30) })

    expect(longname('old.log', old, NOW)).toContain('Nov 30  2024 old.log')
  })

  it('spells type and special bits', () => {
    expect(modeString(constants.S_IFDIR | 0o755)).toBe('drwxr-xr-x')
    expect(modeString(constants.S_IFLNK | 0o777)).toBe('lrwxrwxrwx')
    expect(modeString(constants.S_IFREG | 0o4755)).toBe('-rwsr-xr-x')
    expect(modeString(constants.S_IFDIR | 0o1777)).toBe('drwxrwxrwt')
    expect(modeString(constants.S_IFREG | 0o2644)).toBe('-rw-r-Sr--')
  })
})
