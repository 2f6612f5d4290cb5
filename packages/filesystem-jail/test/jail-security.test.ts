// The attack suite: every test tries to read, write, change or delete something outside the
// root (or a denied or special file inside it) through the jail, in both resolution modes, and
// asserts that nothing outside changed, that nothing inside was lost, and what the caller saw.
import type { ChildProcess } from 'node:child_process'
import { link, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { pipeline } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import {
  compressFiles,
  decompressArchive,
  Jail,
  lossyName,
  VolumeReserve,
  type JailMode,
  type JailOptions,
} from '@node/filesystem-jail'

import {
  type Arena,
  createArena,
  outcome,
  run,
  SECRET,
  snapshot,
  startNode,
  stop,
} from './fixtures.js'

const MODES: readonly JailMode[] = ['openat2', 'walk']

/** A .tar.gz of small text files, built by tar(1). */
async function tarGzOf(files: Record<string, string>): Promise<Buffer> {
  const arena = await createArena()
  try {
    for (const [name, content] of Object.entries(files)) {
      await writeFile(path.join(arena.root, name), content)
    }
    await run('tar', ['-czf', path.join(arena.dir, 'a.tar.gz'), '-C', arena.root, '.'])
    return await readFile(path.join(arena.dir, 'a.tar.gz'))
  } finally {
    await arena.remove()
  }
}
const NOT_FOUND = {
  code: 'NOT_FOUND',
  message: 'The requested resources was not found on the system.',
}

describe.each(MODES)('Jail under attack (%s mode)', (mode) => {
  let arena: Arena
  let jail: Jail
  let outsideBefore: Record<string, string>
  const children: ChildProcess[] = []

  async function reopen(options: JailOptions): Promise<void> {
    await jail.close()
    jail = await Jail.open(arena.root, { mode, diskCheckIntervalMs: 0, ...options })
  }

  /** Every operation of the jail on `p`, each expected to fail; returns what each failed with. */
  async function everyOperation(p: string): Promise<Record<string, unknown>> {
    const results: Record<string, unknown> = {}
    results.openRead = await outcome(jail.openRead(p))
    results.writeFile = await outcome(jail.writeFile(p, 'pwned'))
    results.writeStream = await outcome(jail.writeFile(p, Readable.from([Buffer.from('pwned')])))
    results.mkdirp = await outcome(jail.mkdirp(`${p}/new`))
    results.renameFrom = await outcome(jail.rename(p, 'renamed'))
    results.renameTo = await outcome(jail.rename('bait.txt', `${p}/bait.txt`))
    results.copy = await outcome(jail.copy(p))
    results.chmod = await outcome(jail.chmod(p, 0o777))
    results.chown = await outcome(jail.chown(p, 1234, 1234))
    results.remove = await outcome(jail.remove(`${p}/victim.txt`))
    results.list = await outcome(
      (async () => {
        for await (const _ of jail.list(p)) void _
      })(),
    )
    return results
  }

  beforeEach(async () => {
    arena = await createArena()
    await writeFile(path.join(arena.root, 'bait.txt'), 'bait')
    outsideBefore = await snapshot(arena.outside)
    jail = await Jail.open(arena.root, { mode, diskCheckIntervalMs: 0 })
  })

  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => stop(child)))
    await jail.close()
    expect(await snapshot(arena.outside)).toEqual(outsideBefore)
    await arena.remove()
  })

  describe('path tricks', () => {
    it('refuses .. that climbs out, in every operation', async () => {
      const insideBefore = await snapshot(arena.root)

      for (const p of ['..', '../outside', '../outside/secret.txt', 'a/../../outside/victim.txt']) {
        const results = await everyOperation(p)

        for (const [operation, result] of Object.entries(results)) {
          expect([p, operation, result]).toEqual([p, operation, expect.objectContaining(NOT_FOUND)])
        }
      }
      expect(await snapshot(arena.root)).toEqual(insideBefore)
    })

    it('reads an absolute path as relative to the root', async () => {
      const target = path.join(arena.outside, 'victim.txt')

      await jail.writeFile(target, 'inside now')

      expect(await readFile(path.join(arena.root, target), 'utf8')).toBe('inside now')
      expect(await text((await jail.openRead(target)).stream)).toBe('inside now')
      expect(await outcome(jail.openRead('/etc/passwd'))).toMatchObject(NOT_FOUND)
    })

    it('refuses NUL bytes and overlong names before touching the disk', async () => {
      const insideBefore = await snapshot(arena.root)

      for (const p of ['bait.txt\0.jpg', `../outside/secret.txt\0`, '\0']) {
        for (const result of Object.values(await everyOperation(p))) {
          expect(result).toMatchObject(NOT_FOUND)
        }
      }
      const long = 'x'.repeat(256)
      for (const p of [long, `dir/${long}`, `${'d/'.repeat(2100)}f`]) {
        expect(await outcome(jail.writeFile(p, 'x'))).toMatchObject({
          code: 'BAD_REQUEST',
          message: 'Cannot perform that action: file name is too long.',
        })
        expect(await outcome(jail.openRead(p))).toMatchObject({ code: 'BAD_REQUEST' })
      }
      expect(await snapshot(arena.root)).toEqual(insideBefore)
    })
  })

  describe('symlinks', () => {
    beforeEach(async () => {
      const r = arena.root
      await mkdir(path.join(r, 'a', 'b'), { recursive: true })
      await writeFile(path.join(r, 'a', 'b', 'inside.txt'), 'inside')
      await symlink(arena.outside, path.join(r, 'abs-out'))
      await symlink('../outside', path.join(r, 'rel-out'))
      await symlink('../../../outside', path.join(r, 'a', 'b', 'deep-out'))
      await symlink('b/../../../outside', path.join(r, 'a', 'tricky-out'))
      await symlink(path.join(arena.outside, 'secret.txt'), path.join(r, 'abs-secret'))
      await symlink('../outside/secret.txt', path.join(r, 'rel-secret'))
      await symlink('loop', path.join(r, 'loop'))
      await symlink('a/b', path.join(r, 'inside-dir'))
      await symlink('a/b/inside.txt', path.join(r, 'inside-file'))
      await symlink('/proc/self/root', path.join(r, 'magic'))
      outsideBefore = await snapshot(arena.outside)
    })

    it('refuses links that leave the root in any intermediate position', async () => {
      const insideBefore = await snapshot(arena.root)

      for (const base of ['abs-out', 'rel-out', 'a/b/deep-out', 'a/tricky-out', 'magic/tmp']) {
        for (const p of [base, `${base}/sub`]) {
          const results = await everyOperation(`${p}/x`)
          for (const [operation, result] of Object.entries(results)) {
            expect([p, operation, result]).toEqual([
              p,
              operation,
              expect.objectContaining(NOT_FOUND),
            ])
          }
        }
        expect(await outcome(jail.openRead(`${base}/secret.txt`))).toMatchObject(NOT_FOUND)
        expect(await outcome(jail.remove(`${base}/victim.txt`))).toMatchObject(NOT_FOUND)
        expect(await outcome(jail.remove(`${base}/sub`))).toMatchObject(NOT_FOUND)
      }
      expect(await snapshot(arena.root)).toEqual(insideBefore)
    })

    it('never opens a symlink as the last component, even one that stays inside', async () => {
      for (const p of ['abs-secret', 'rel-secret', 'inside-file', 'abs-out', 'loop']) {
        expect([p, await outcome(jail.openRead(p))]).toEqual([
          p,
          expect.objectContaining(NOT_FOUND),
        ])
        expect(await outcome(jail.writeFile(p, 'pwned'))).toMatchObject(NOT_FOUND)
        expect(await outcome(jail.chmod(p, 0o777))).toMatchObject(NOT_FOUND)
        expect(await outcome(jail.chown(p, 1234, 1234))).toMatchObject(NOT_FOUND)
        expect(await outcome(jail.copy(p))).toMatchObject(NOT_FOUND)
        expect((await jail.stat(p)).kind).toBe('symlink')
      }
      expect(await readFile(path.join(arena.root, 'a/b/inside.txt'), 'utf8')).toBe('inside')
    })

    it('follows links that stay inside the root, as RESOLVE_BENEATH does', async () => {
      expect(await text((await jail.openRead('inside-dir/inside.txt')).stream)).toBe('inside')

      await jail.writeFile('inside-dir/new.txt', 'new')

      expect(await readFile(path.join(arena.root, 'a/b/new.txt'), 'utf8')).toBe('new')
      expect(await outcome(jail.openRead('loop/x'))).toMatchObject(NOT_FOUND)
    })

    it('removes, renames and lists links themselves, never their targets', async () => {
      await jail.rename('abs-secret', 'moved-link')
      await jail.remove('rel-out')
      await jail.remove('moved-link')
      const result = await jail.remove('a')

      expect(result.freedBytes).toBe(6)
      expect(await readdir(arena.root)).not.toContain('a')
      expect(await readdir(arena.root)).not.toContain('rel-out')
    })
  })

  describe('a symlink swapped in during an operation', () => {
    // A separate process flips `swap` between a real directory and a link to the outside, and
    // `target.txt` between a regular file and a link to the secret, as fast as it can.
    const SWAPPER = `
      const fs = require('node:fs'); const path = require('node:path')
      const [root, outside] = process.argv.slice(1)
      const j = (n) => path.join(root, n)
      const deadline = Date.now() + 30000
      while (Date.now() < deadline) {
        try { fs.renameSync(j('.real'), j('swap')) } catch {}
        try { fs.renameSync(j('swap'), j('.real')) } catch {}
        try { fs.symlinkSync(outside, j('swap')) } catch {}
        try { fs.unlinkSync(j('swap')) } catch {}
        try { fs.renameSync(j('.file'), j('target.txt')) } catch {}
        try { fs.renameSync(j('target.txt'), j('.file')) } catch {}
        try { fs.symlinkSync(path.join(outside, 'secret.txt'), j('target.txt')) } catch {}
        try { fs.unlinkSync(j('target.txt')) } catch {}
      }
    `

    it('never reads, writes, changes or deletes outside the root', async () => {
      await mkdir(path.join(arena.root, '.real'))
      await writeFile(path.join(arena.root, '.real', 'secret.txt'), 'inside')
      await writeFile(path.join(arena.root, '.real', 'victim.txt'), 'inside')
      await writeFile(path.join(arena.root, '.file'), 'inside')
      const swapper = startNode(SWAPPER, [arena.root, arena.outside])
      children.push(swapper)
      await sleep(50)

      const seen = new Set<string>()
      let succeeded = 0
      for (let i = 0; i < 300; i++) {
        const attempts = [
          jail.openRead('swap/secret.txt').then((r) => text(r.stream)),
          jail.openRead('target.txt').then((r) => text(r.stream)),
          jail.writeFile(`swap/pwned-${i}`, 'pwned'),
          jail.writeFile('target.txt', 'pwned'),
          jail.writeFile('swap/victim.txt', 'pwned'),
          jail.chmod('swap/secret.txt', 0o777),
          jail.chmod('target.txt', 0o777),
          jail.chown('swap/victim.txt', 1234, 1234),
          jail.mkdirp(`swap/dir-${i}`),
          jail.remove('swap/victim.txt'),
          jail.remove(`swap/sub`),
          jail.rename('swap/secret.txt', `stolen-${i}`),
          jail.copy('swap/secret.txt'),
          (async () => {
            for await (const e of jail.list('swap')) seen.add(e.name)
          })(),
        ]
        for (const settled of await Promise.allSettled(attempts)) {
          if (settled.status === 'fulfilled') {
            succeeded++
            expect(settled.value).not.toBe(SECRET)
          }
        }
      }
      await stop(swapper)

      expect(succeeded).toBeGreaterThan(0)
      for (const name of ['sub', 'deep.txt']) expect(seen.has(name)).toBe(false)
      const stolen = (await readdir(arena.root)).filter((n) => n.startsWith('stolen-'))
      for (const name of stolen) {
        expect(await readFile(path.join(arena.root, name), 'utf8')).not.toBe(SECRET)
      }
    })
  })

  describe('hard links to files outside', () => {
    beforeEach(async () => {
      await link(path.join(arena.outside, 'secret.txt'), path.join(arena.root, 'hard.txt'))
      outsideBefore = await snapshot(arena.outside)
    })

    it('never serves the content of a multiply-linked file', async () => {
      expect(await outcome(jail.openRead('hard.txt'))).toEqual({
        code: 'BAD_REQUEST',
        message: 'Cannot perform that action: not a regular file.',
        reason: 'hard_link',
      })
      expect(await outcome(jail.copy('hard.txt'))).toMatchObject({ code: 'BAD_REQUEST' })
    })

    it('never changes the shared inode', async () => {
      expect(await outcome(jail.chmod('hard.txt', 0o666))).toMatchObject({ code: 'BAD_REQUEST' })
      expect(await outcome(jail.chown('hard.txt', 1234, 1234))).toMatchObject({
        code: 'BAD_REQUEST',
      })
    })

    it('writes by replacing the name, splitting the link', async () => {
      await jail.writeFile('hard.txt', 'replaced')

      expect(await readFile(path.join(arena.root, 'hard.txt'), 'utf8')).toBe('replaced')
      expect((await stat(path.join(arena.root, 'hard.txt'))).nlink).toBe(1)
      outsideBefore = await snapshot(arena.outside) // nlink of the outside file dropped to 1
      expect(await readFile(path.join(arena.outside, 'secret.txt'), 'utf8')).toBe(SECRET)
    })

    it('removes only the name inside, freeing nothing', async () => {
      expect(await jail.remove('hard.txt')).toEqual({ freedBytes: 0 })

      outsideBefore = await snapshot(arena.outside)
      expect(await readFile(path.join(arena.outside, 'secret.txt'), 'utf8')).toBe(SECRET)
    })
  })

  describe('device files and FIFOs', () => {
    let writer: ChildProcess | undefined

    beforeEach(async () => {
      await run('mknod', [path.join(arena.root, 'zero'), 'c', '1', '5'])
      await run('mknod', [path.join(arena.root, 'disk'), 'b', '7', '0'])
      await run('mkfifo', [path.join(arena.root, 'pipe')])
      await symlink('/dev/zero', path.join(arena.root, 'devzero'))
      // A writer blocked in open() until someone opens the FIFO for reading: it stays blocked
      // as long as the jail never opens the FIFO's content.
      writer = startNode(
        `require('node:fs').writeFileSync(process.argv[1], 'data'); process.stdout.write('opened')`,
        [path.join(arena.root, 'pipe')],
      )
      children.push(writer)
    })

    it('refuses to read them without opening them, and never hangs', async () => {
      for (const [p, reason] of [
        ['zero', 'device'],
        ['disk', 'device'],
        ['pipe', 'fifo'],
      ]) {
        expect(await outcome(jail.openRead(p!))).toEqual({
          code: 'BAD_REQUEST',
          message: 'Cannot perform that action: not a regular file.',
          reason,
        })
      }
      expect(await outcome(jail.openRead('devzero'))).toMatchObject(NOT_FOUND)
      await sleep(100)

      expect(writer?.exitCode).toBeNull()
    })

    it('refuses to write over them, copy, chmod or chown them', async () => {
      for (const p of ['zero', 'disk', 'pipe']) {
        expect(await outcome(jail.writeFile(p, 'x'))).toMatchObject({ code: 'BAD_REQUEST' })
        expect(await outcome(jail.copy(p))).toMatchObject(NOT_FOUND)
        expect(await outcome(jail.chmod(p, 0o666))).toMatchObject({ code: 'BAD_REQUEST' })
        expect(await outcome(jail.chown(p, 1, 1))).toMatchObject({ code: 'BAD_REQUEST' })
      }

      expect((await lstat(path.join(arena.root, 'zero'))).isCharacterDevice()).toBe(true)
      expect((await lstat(path.join(arena.root, 'pipe'))).isFIFO()).toBe(true)
      expect(writer?.exitCode).toBeNull()
    })

    it('lists, measures and removes them without opening them', async () => {
      const kinds: Record<string, string> = {}
      for await (const entry of jail.list('/')) kinds[entry.name] = entry.stats.kind
      await reopen({ diskCheckIntervalMs: 60_000 })
      const usage = await jail.diskUsage('fresh')

      await jail.remove('pipe')
      await jail.remove('zero')

      expect(kinds).toMatchObject({
        zero: 'character-device',
        disk: 'block-device',
        pipe: 'fifo',
        devzero: 'symlink',
      })
      expect(usage).toBe(4) // bait.txt
      expect(await readdir(arena.root)).not.toContain('pipe')
      expect(writer?.exitCode).toBeNull()
    })
  })

  describe('names that are not UTF-8, made by the game process', () => {
    // A name as raw bytes below the root: the game process writes whatever bytes it likes.
    const raw = (...parts: (string | number[])[]): Buffer =>
      Buffer.concat([
        Buffer.from(`${arena.root}/`),
        ...parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))),
      ])

    beforeEach(async () => {
      await mkdir(raw('dir'))
      await writeFile(raw('dir/bad', [0xff, 0xfe]), 'bad bytes')
      await mkdir(raw('dir/sub', [0xe2, 0x82]))
      await writeFile(raw('dir/sub', [0xe2, 0x82], '/inner.txt'), 'inner')
      await writeFile(raw('dir/emoji', [0xf0, 0x9f, 0x98], '.txt'), '1234567890')
      await writeFile(raw('dir/ok.txt'), 'ok')
    })

    const listed = async (dir: string): Promise<string[]> => {
      const names: string[] = []
      for await (const entry of jail.list(dir)) names.push(lossyName(entry.name))
      return names.sort()
    }

    it('lists them in the reference lossy form, one U+FFFD per byte that is not UTF-8', async () => {
      expect(await listed('dir')).toEqual([
        'bad\uFFFD\uFFFD',
        'emoji\uFFFD\uFFFD\uFFFD.txt',
        'ok.txt',
        'sub\uFFFD\uFFFD',
      ])
    })

    it('reads, renames, removes and measures them by that name', async () => {
      await reopen({ diskCheckIntervalMs: 60_000 })
      expect(await jail.diskUsage('fresh')).toBe(4 + 9 + 5 + 10 + 2)
      expect(await text((await jail.openRead('dir/bad\uFFFD\uFFFD')).stream)).toBe('bad bytes')
      expect(await text((await jail.openRead('dir/sub\uFFFD\uFFFD/inner.txt')).stream)).toBe(
        'inner',
      )

      await jail.rename('dir/emoji\uFFFD\uFFFD\uFFFD.txt', 'dir/renamed.txt')
      await jail.remove('dir/bad\uFFFD\uFFFD')

      expect(await listed('dir')).toEqual(['ok.txt', 'renamed.txt', 'sub\uFFFD\uFFFD'])
      expect(await readFile(path.join(arena.root, 'dir/renamed.txt'), 'utf8')).toBe('1234567890')
    })

    it('removes a directory holding them', async () => {
      await jail.remove('dir')

      expect(await readdir(arena.root)).toEqual(['bait.txt'])
    })

    it('acts on none of two names that read the same', async () => {
      await writeFile(raw('dir/bad', [0xfe, 0xff]), 'other bytes')

      expect(await outcome(jail.remove('dir/bad\uFFFD\uFFFD'))).toBe('ok')

      expect(await listed('dir')).toEqual([
        'bad\uFFFD\uFFFD',
        'bad\uFFFD\uFFFD',
        'emoji\uFFFD\uFFFD\uFFFD.txt',
        'ok.txt',
        'sub\uFFFD\uFFFD',
      ])
    })
  })

  describe('a tree made to exhaust descriptors', () => {
    it('is removed a few entries at a time, whatever its width and depth', async () => {
      // 6 directories per level, 4 levels: 1554 directories, each with a file.
      const make = async (dir: string, depth: number): Promise<void> => {
        await writeFile(path.join(dir, 'f'), 'x')
        if (depth === 0) return
        for (let i = 0; i < 6; i++) {
          await mkdir(path.join(dir, `d${i}`))
          await make(path.join(dir, `d${i}`), depth - 1)
        }
      }
      await mkdir(path.join(arena.root, 'wide'))
      await make(path.join(arena.root, 'wide'), 4)
      const idle = (await readdir('/proc/self/fd')).length
      let settled = false
      let peak = 0

      const removed = jail.remove('wide').finally(() => (settled = true))
      while (!settled) {
        peak = Math.max(peak, (await readdir('/proc/self/fd')).length)
        await new Promise((resolve) => setImmediate(resolve))
      }
      await removed

      expect(await readdir(arena.root)).toEqual(['bait.txt'])
      expect(peak - idle).toBeLessThan(40)
    })

    it('is searched for denied files and removed with a bounded number of descriptors, however deep', async () => {
      // 300 levels, a file in every tenth; the deny list makes removal search the tree first.
      await reopen({ denylist: ['*.secret'] })
      let dir = path.join(arena.root, 'deep')
      await mkdir(dir)
      for (let level = 0; level < 300; level++) {
        if (level % 10 === 0) await writeFile(path.join(dir, 'f'), 'x')
        dir = path.join(dir, 'd')
        await mkdir(dir)
      }
      const idle = (await readdir('/proc/self/fd')).length
      let settled = false
      let peak = 0

      const removed = jail.remove('deep').finally(() => (settled = true))
      while (!settled) {
        peak = Math.max(peak, (await readdir('/proc/self/fd')).length)
        await new Promise((resolve) => setImmediate(resolve))
      }
      await removed

      expect(await readdir(arena.root)).toEqual(['bait.txt'])
      expect(peak - idle).toBeLessThan(180)
    })

    it('still finds a denied file far below the levels that hold a descriptor', async () => {
      await reopen({ denylist: ['*.secret'] })
      const deepest = path.join(arena.root, 'deep', ...Array.from({ length: 200 }, () => 'd'))
      await mkdir(deepest, { recursive: true })
      await writeFile(path.join(deepest, 'x.secret'), 'denied')

      const result = await outcome(jail.remove('deep'))

      expect(result).toMatchObject({ code: 'DENIED' })
      expect(await readFile(path.join(deepest, 'x.secret'), 'utf8')).toBe('denied')
    })
  })

  describe('the volume reserve', () => {
    const MIB = 1024 * 1024
    const QUOTA = {
      code: 'QUOTA_EXCEEDED',
      message: 'There is not enough disk space available to perform that action.',
    }

    it('refuses every write path when the volume holds less than it keeps', async () => {
      // The real volume, measured with statfs: no disk has this much free.
      const reserve = new VolumeReserve({ path: arena.root, reserveBytes: 2 ** 52 })
      await reopen({ reserve })
      await writeFile(path.join(arena.root, 'small.txt'), 'small')
      await writeFile(path.join(arena.root, 'a.tar.gz'), await tarGzOf({ 'x.txt': 'x' }))
      const before = await snapshot(arena.root)

      const results = {
        writeFile: await outcome(jail.writeFile('new.txt', 'x')),
        stream: await outcome(jail.writeFile('new.bin', Readable.from([Buffer.from('x')]))),
        copy: await outcome(jail.copy('small.txt')),
        compress: await outcome(compressFiles(jail, { directory: '', files: ['small.txt'] })),
        decompress: await outcome(decompressArchive(jail, { directory: '', file: 'a.tar.gz' })),
      }

      for (const result of Object.values(results)) expect(result).toMatchObject(QUOTA)
      expect(await snapshot(arena.root)).toMatchObject(before)
      expect(Object.keys(await snapshot(arena.root)).filter((k) => k.includes('.jail-'))).toEqual(
        [],
      )
    })

    it('lets writes use what is free above it, and stops one that would eat into it', async () => {
      // A volume with 10 MiB free, measured once: 2 MiB may be written above 8 MiB kept.
      const reserve = new VolumeReserve({
        path: arena.root,
        reserveBytes: 8 * MIB,
        refreshMs: Number.POSITIVE_INFINITY,
        measure: () => Promise.resolve(10 * MIB),
      })
      await reopen({ reserve })

      await jail.writeFile('a.bin', Buffer.alloc(1.5 * MIB, 1))
      const copy = await outcome(jail.copy('a.bin'))
      const stream = await outcome(
        jail.writeFile('b.bin', Readable.from([Buffer.alloc(256 * 1024), Buffer.alloc(MIB)])),
      )
      await jail.writeFile('c.bin', Buffer.alloc(256 * 1024))

      expect(copy).toMatchObject(QUOTA)
      expect(stream).toMatchObject(QUOTA)
      expect((await readdir(arena.root)).sort()).toEqual(['a.bin', 'bait.txt', 'c.bin'])
      // The failed stream's first 256 KiB stay counted until the volume is measured again.
      expect(reserve.available()).toBe(0)
    })
  })

  describe('quota', () => {
    it('fails a write that passes the limit mid-way, leaving no partial file and usage unchanged', async () => {
      await reopen({ diskLimitBytes: 10_000, diskCheckIntervalMs: 60_000 })
      await writeFile(path.join(arena.root, 'config.yml'), 'original')
      const before = await jail.diskUsage('fresh')
      const insideBefore = await snapshot(arena.root)
      const chunks = Array.from({ length: 20 }, () => Buffer.alloc(1000, 1))

      const fresh = await outcome(jail.writeFile('new.bin', Readable.from(chunks)))
      const replace = await outcome(jail.writeFile('config.yml', Readable.from(chunks)))

      for (const result of [fresh, replace]) {
        expect(result).toEqual({
          code: 'QUOTA_EXCEEDED',
          message: 'There is not enough disk space available to perform that action.',
          reason: 'quota',
        })
      }
      expect(await snapshot(arena.root)).toEqual(insideBefore)
      expect(jail.quota.usage.current).toBe(before)
      expect(jail.quota.reservedBytes).toBe(0)
    })

    it('fails a body longer than its declared size once it passes the limit', async () => {
      await reopen({ diskLimitBytes: 5000 })
      const writer = await jail.openWrite('a.bin', { size: 1000 })
      const chunks = Array.from({ length: 10 }, () => Buffer.alloc(1000))

      const result = await outcome(pipeline(Readable.from(chunks), writer))

      expect(result).toMatchObject({ code: 'QUOTA_EXCEEDED' })
      expect(await readdir(arena.root)).toEqual(['bait.txt'])
    })

    it('never lets concurrent writers jointly pass the limit', async () => {
      await reopen({ diskLimitBytes: 50_000 })
      const slowChunks = async function* (): AsyncGenerator<Buffer> {
        for (let i = 0; i < 10; i++) {
          yield Buffer.alloc(500, i)
          await sleep(1)
        }
      }

      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => outcome(jail.writeFile(`w${i}.bin`, slowChunks()))),
      )

      const ok = results.filter((r) => r === 'ok').length
      const failed = results.filter((r) => r !== 'ok')
      const names = (await readdir(arena.root)).filter((n) => n.endsWith('.bin'))
      expect(ok + failed.length).toBe(20)
      expect(failed.length).toBeGreaterThanOrEqual(10)
      for (const f of failed) expect(f).toMatchObject({ code: 'QUOTA_EXCEEDED' })
      expect(names).toHaveLength(ok)
      expect(ok * 5000).toBeLessThanOrEqual(50_000)
      expect(jail.quota.usage.current).toBe(ok * 5000)
      expect(await readdir(arena.root)).not.toContainEqual(expect.stringMatching(/^\.jail-/))
    })

    it('holds between walks: writes are counted as they happen', async () => {
      await reopen({ diskLimitBytes: 10_000, diskCheckIntervalMs: 3_600_000 })
      await jail.diskUsage('fresh')

      await jail.writeFile('a.bin', Buffer.alloc(6000))
      const second = await outcome(jail.writeFile('b.bin', Buffer.alloc(6000)))

      expect(second).toMatchObject({ code: 'QUOTA_EXCEEDED' })
      expect(await jail.diskUsage('stale-ok')).toBe(6004)
    })
  })

  describe('denied files', () => {
    beforeEach(async () => {
      const r = arena.root
      await mkdir(path.join(r, 'config'))
      await mkdir(path.join(r, 'locked'))
      await writeFile(path.join(r, 'server.jar'), 'jar')
      await writeFile(path.join(r, 'config', 'secret.yml'), 'secret')
      await writeFile(path.join(r, 'config', 'other.yml'), 'other')
      await writeFile(path.join(r, 'locked', 'inner.txt'), 'inner')
      await symlink('config', path.join(r, 'cfg-link'))
      await reopen({ denylist: ['server.jar', 'config/secret.yml', 'locked/'] })
    })

    const DENIED = {
      code: 'DENIED',
      message: 'This file cannot be modified: present in egg denylist.',
      reason: 'denied',
    }

    it('cannot be read, written, renamed, copied, chmodded or deleted by any path', async () => {
      const insideBefore = await snapshot(arena.root)

      for (const p of [
        'server.jar',
        '/./x/../server.jar',
        'config/secret.yml',
        'cfg-link/secret.yml',
        'locked/inner.txt',
        'cfg-link/../locked/inner.txt',
      ]) {
        expect([p, await outcome(jail.openRead(p))]).toEqual([p, DENIED])
        expect(await outcome(jail.writeFile(p, 'x'))).toEqual(DENIED)
        expect(await outcome(jail.rename(p, 'stolen'))).toEqual(DENIED)
        expect(await outcome(jail.copy(p))).toEqual(DENIED)
        expect(await outcome(jail.chmod(p, 0o777))).toEqual(DENIED)
        expect(await outcome(jail.remove(p))).toEqual(DENIED)
      }
      expect(await outcome(jail.rename('bait.txt', 'server.jar'))).toEqual(DENIED)
      expect(await outcome(jail.rename('bait.txt', 'cfg-link/secret.yml'))).toEqual(DENIED)
      expect(await outcome(jail.copy('config/other.yml', { name: 'secret.yml' }))).toEqual(DENIED)
      expect(await snapshot(arena.root)).toEqual(insideBefore)
    })

    it('protects them from moving or deleting a directory that holds them', async () => {
      const insideBefore = await snapshot(arena.root)

      expect(await outcome(jail.remove('config'))).toEqual(DENIED)
      expect(await outcome(jail.remove('locked'))).toEqual(DENIED)
      expect(await outcome(jail.rename('config', 'conf2'))).toEqual(DENIED)
      expect(await outcome(jail.rename('locked', 'open'))).toEqual(DENIED)

      expect(await snapshot(arena.root)).toEqual(insideBefore)
    })

    it('still allows what does not touch a denied file', async () => {
      await jail.writeFile('config/other.yml', 'changed')
      expect(await text((await jail.openRead('cfg-link/other.yml')).stream)).toBe('changed')
      await jail.remove('cfg-link')

      expect(await readFile(path.join(arena.root, 'config/secret.yml'), 'utf8')).toBe('secret')
      expect(await readdir(arena.root)).not.toContain('cfg-link')
    })
  })
})
