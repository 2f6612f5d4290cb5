import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { FakeClock } from '@node/shared-kernel/testing'
import { afterEach, describe, expect, it } from 'vitest'

import { O_DIRECTORY, O_PATH } from './backend/backend.js'
import { closeFd, openFd } from './backend/fd.js'
import { DiskUsage } from './disk-usage.js'
import { walkDiskUsage } from './walk-disk-usage.js'

/** A walk whose completion the test controls. */
function controlledWalk(): {
  walk: () => Promise<number>
  finish: (bytes: number) => void
  readonly calls: number
} {
  let calls = 0
  let finish: (bytes: number) => void = () => undefined
  return {
    walk: () => {
      calls += 1
      return new Promise<number>((resolve) => (finish = resolve))
    },
    finish: (bytes) => finish(bytes),
    get calls() {
      return calls
    },
  }
}

describe('DiskUsage', () => {
  it('walks on a fresh read when stale, and serves the cache while fresh', async () => {
    const clock = new FakeClock()
    let walks = 0
    const usage = new DiskUsage({
      walk: () => Promise.resolve(++walks * 100),
      intervalMs: 150_000,
      clock,
    })

    expect(await usage.get('fresh')).toBe(100)
    clock.advance(149_999)
    expect(await usage.get('fresh')).toBe(100)
    clock.advance(1)
    expect(await usage.get('fresh')).toBe(200)
  })

  it('answers stale-ok reads at once and refreshes in the background, one walk at a time', async () => {
    const walk = controlledWalk()
    const usage = new DiskUsage({ walk: walk.walk, intervalMs: 1000, clock: new FakeClock() })

    expect(await usage.get('stale-ok')).toBe(0)
    expect(await usage.get('stale-ok')).toBe(0)
    const fresh = usage.get('fresh')
    expect(walk.calls).toBe(1)
    walk.finish(500)

    expect(await fresh).toBe(500)
    expect(usage.current).toBe(500)
  })

  it('adds adjustments to the last walk', async () => {
    const usage = new DiskUsage({
      walk: () => Promise.resolve(1000),
      intervalMs: 1000,
      clock: new FakeClock(),
    })
    await usage.get('fresh')

    usage.adjust(250)
    usage.adjust(-100)

    expect(usage.current).toBe(1150)
  })

  it('keeps growth made during a walk on top of its result, never shrinkage', async () => {
    const walk = controlledWalk()
    const usage = new DiskUsage({ walk: walk.walk, intervalMs: 1000, clock: new FakeClock() })

    const fresh = usage.get('fresh')
    usage.adjust(300)
    usage.adjust(-50)
    walk.finish(1000)

    expect(await fresh).toBe(1300)
  })

  it('counts only adjustments when walks are disabled', async () => {
    let walks = 0
    const usage = new DiskUsage({ walk: () => Promise.resolve(++walks), intervalMs: 0 })

    usage.adjust(42)

    expect(await usage.get('fresh')).toBe(42)
    expect(walks).toBe(0)
  })

  it('keeps the previous value when a walk fails', async () => {
    const clock = new FakeClock()
    let fail = false
    const usage = new DiskUsage({
      walk: () => (fail ? Promise.reject(new Error('EIO')) : Promise.resolve(700)),
      intervalMs: 1000,
      clock,
    })
    await usage.get('fresh')
    fail = true
    clock.advance(1000)

    expect(await usage.get('fresh')).toBe(700)
  })
})

describe('walkDiskUsage', () => {
  let dir: string

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('sums regular files, counts hard links once and never follows symlinks', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'jail-usage-'))
    const root = path.join(dir, 'root')
    const outside = path.join(dir, 'outside')
    await mkdir(path.join(root, 'a', 'b'), { recursive: true })
    await mkdir(outside)
    await writeFile(path.join(outside, 'big'), Buffer.alloc(10_000))
    await writeFile(path.join(root, 'one'), Buffer.alloc(100))
    await writeFile(path.join(root, 'a', 'two'), Buffer.alloc(200))
    await writeFile(path.join(root, 'a', 'b', 'three'), Buffer.alloc(300))
    await link(path.join(root, 'a', 'b', 'three'), path.join(root, 'three-again'))
    await link(path.join(root, 'a', 'b', 'three'), path.join(root, 'a', 'three-thrice'))
    await symlink(outside, path.join(root, 'to-outside'))
    await symlink('../outside/big', path.join(root, 'a', 'big-link'))
    const fd = await openFd(root, O_PATH | O_DIRECTORY)

    try {
      const result = await walkDiskUsage(fd)

      expect(result).toEqual({ bytes: 600, files: 3 })
    } finally {
      await closeFd(fd)
    }
  })
})
