// The one archive engine: the tar stream of a subtree (walked and read by a worker thread) and
// its extraction (restores, transfers, decompress), with links, hard links, ignore rules, deep
// trees, aborts and cut archives. Each hostile case asserts that nothing outside the root was
// read into an archive or written by an extraction.
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, renameSync, symlinkSync } from 'node:fs'
import {
  chown,
  link,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  symlink,
  writeFile,
} from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'

import type { Logger } from '@node/shared-kernel'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import {
  createTarGzStream,
  extractTarGz,
  Jail,
  type TarGzStreamOptions,
} from '@node/filesystem-jail'

import { type Arena, createArena, outcome, run, SECRET, snapshot } from './fixtures.js'

/** A logger that keeps what it was told. */
function recordingLogger(lines: { message: string; fields?: Record<string, unknown> }[]): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message, fields) => void lines.push({ message, fields }),
    error: (message, fields) => void lines.push({ message, fields }),
    child: () => logger,
  }
  return logger
}

describe('the archive engine', () => {
  let arena: Arena
  let jail: Jail
  let outsideBefore: Record<string, string>

  beforeEach(async () => {
    arena = await createArena()
    jail = await Jail.open(arena.root, { diskCheckIntervalMs: 0 })
    outsideBefore = await snapshot(arena.outside)
  })

  afterEach(async () => {
    await jail.close()
    await arena.remove()
  })

  async function reopen(options: Parameters<typeof Jail.open>[1]): Promise<void> {
    await jail.close()
    jail = await Jail.open(arena.root, { diskCheckIntervalMs: 0, ...options })
  }

  /** The archive of `options`, written beside the root. */
  async function archive(options: TarGzStreamOptions): Promise<string> {
    const file = path.join(arena.dir, `a-${Math.random().toString(36).slice(2)}.tar.gz`)
    const stream = createTarGzStream(jail, options)
    const closed = once(stream, 'close')
    await writeFile(file, Buffer.concat(await stream.toArray()))
    await closed
    return file
  }

  /** `tar -tvzf` lines as [type, name, link target]. */
  async function listing(file: string): Promise<[string, string, string][]> {
    const { stdout } = await run('tar', ['--numeric-owner', '-tvzf', file])
    return stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const fields = line.split(/\s+/)
        const rest = fields.slice(5).join(' ')
        const [name, target] = rest.split(' -> ')
        return [line[0]!, name!, target ?? '']
      })
  }

  async function openDescriptors(): Promise<number> {
    return (await readdir('/proc/self/fd')).length
  }

  describe('createTarGzStream', () => {
    it('gives ignore() whether the path is a directory: a `dir/` rule leaves the directory out unwalked', async () => {
      await mkdir(path.join(arena.root, 'logs/old'), { recursive: true })
      await writeFile(path.join(arena.root, 'logs/old/1.log'), 'old')
      await writeFile(path.join(arena.root, 'logs/latest.log'), 'log')
      await writeFile(path.join(arena.root, 'keep.txt'), 'keep')
      const asked: [string, boolean][] = []

      const file = await archive({
        directory: '',
        ignore: (rel, isDirectory) => {
          asked.push([rel, isDirectory])
          return isDirectory && rel === 'logs'
        },
      })

      expect(await listing(file)).toEqual([['-', 'keep.txt', '']])
      expect(asked.sort()).toEqual([
        ['keep.txt', false],
        ['logs', true],
      ])
    })

    it('stores symlinks as links when asked, never reading what they point to', async () => {
      await mkdir(path.join(arena.root, 'plugins'))
      await writeFile(path.join(arena.root, 'plugins/a.jar'), 'jar')
      await symlink('plugins/a.jar', path.join(arena.root, 'inside'))
      await symlink(path.join(arena.outside, 'secret.txt'), path.join(arena.root, 'secret'))
      await symlink('../outside', path.join(arena.root, 'up'))

      const withLinks = await archive({ directory: '', symlinks: true })
      const without = await archive({ directory: '' })

      expect(await listing(withLinks)).toEqual([
        ['l', 'inside', 'plugins/a.jar'],
        ['d', 'plugins/', ''],
        ['-', 'plugins/a.jar', ''],
        ['l', 'secret', path.join(arena.outside, 'secret.txt')],
        ['l', 'up', '../outside'],
      ])
      expect(await listing(without)).toEqual([
        ['d', 'plugins/', ''],
        ['-', 'plugins/a.jar', ''],
      ])
      const { stdout } = await run('sh', ['-c', `gzip -dc ${withLinks} | strings`])
      expect(stdout).not.toContain(SECRET)
      expect(await snapshot(arena.outside)).toEqual(outsideBefore)
    })

    it('never follows a directory swapped for a link out of the root during the walk', async () => {
      await mkdir(path.join(arena.root, 'world'))
      await writeFile(path.join(arena.root, 'world/level.dat'), 'level')
      await writeFile(path.join(arena.root, 'keep.txt'), 'keep')

      // The walker has listed the root and asks which entries to keep: the server swaps its
      // directory for a link out of the root right then, before the walker enters it.
      const file = await archive({
        directory: '',
        symlinks: true,
        ignore: (rel) => {
          if (rel === 'world') {
            renameSync(path.join(arena.root, 'world'), path.join(arena.root, 'moved'))
            symlinkSync(arena.outside, path.join(arena.root, 'world'))
          }
          return false
        },
      })

      expect(await listing(file)).toEqual([['-', 'keep.txt', '']])
      const { stdout } = await run('sh', ['-c', `gzip -dc ${file} | strings`])
      expect(stdout).not.toContain(SECRET)
      expect(await snapshot(arena.outside)).toEqual(outsideBefore)
    })

    it('archives a hard-linked file by content only when the server user could read it anyway', async () => {
      await reopen({ owner: { uid: 988, gid: 988 } })
      await writeFile(path.join(arena.root, 'own.dat'), 'shared by the server')
      await link(path.join(arena.root, 'own.dat'), path.join(arena.root, 'own-link.dat'))
      await chown(path.join(arena.root, 'own.dat'), 988, 988)
      // A link to a file the server's user cannot read: what a link to a file outside looks like.
      await link(path.join(arena.outside, 'secret.txt'), path.join(arena.root, 'secret.txt'))
      const skipped: string[] = []

      const file = await archive({ directory: '', onSkipped: (rel) => skipped.push(rel) })

      expect((await listing(file)).map(([, name]) => name)).toEqual(['own-link.dat', 'own.dat'])
      const { stdout } = await run('sh', ['-c', `gzip -dc ${file} | strings`])
      expect(stdout).not.toContain(SECRET)
      expect(skipped).toEqual(['secret.txt'])

      await reopen({})
      const noOwner = await archive({ directory: '' })
      expect(await listing(noOwner)).toEqual([])
    })

    it('archives a tree deeper than the descriptors it holds, and closes every one', async () => {
      const levels = Array.from({ length: 150 }, (_, i) => `d${i}`)
      await mkdir(path.join(arena.root, ...levels), { recursive: true })
      await writeFile(path.join(arena.root, ...levels, 'deep.txt'), 'deep')
      await writeFile(path.join(arena.root, ...levels.slice(0, 140), 'mid.txt'), 'mid')
      const before = await openDescriptors()

      const file = await archive({ directory: '' })

      const names = (await listing(file)).map(([, name]) => name)
      expect(names).toContain(`${levels.join('/')}/deep.txt`)
      expect(names).toContain(`${levels.slice(0, 140).join('/')}/mid.txt`)
      expect(names).toHaveLength(152)
      expect(await openDescriptors()).toBe(before)
    })

    it('stops the walk when the stream is destroyed, closing what it opened', async () => {
      for (let i = 0; i < 40; i++) {
        await writeFile(path.join(arena.root, `f${i}.bin`), Buffer.alloc(512 * 1024, i))
      }
      const before = await openDescriptors()
      const stream = createTarGzStream(jail, { directory: '' })
      const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve))

      stream.destroy()
      await new Promise((resolve) => stream.once('close', resolve))
      // The worker's descriptors and the jail's directory close before the stream does.
      expect(first.length).toBeGreaterThan(0)
      expect(await openDescriptors()).toBe(before)
    })

    it('leaves FIFOs, sockets-to-be and vanished entries out without failing', async () => {
      await run('mkfifo', [path.join(arena.root, 'pipe')])
      await writeFile(path.join(arena.root, 'ok.txt'), 'ok')

      const file = await archive({ directory: '' })

      expect(await listing(file)).toEqual([['-', 'ok.txt', '']])
    })
  })

  describe('extractTarGz', () => {
    /** A tar.gz made by tar(1) of `tree` (built by `make` in a scratch dir). */
    async function tarOf(
      make: (dir: string) => Promise<void>,
      names?: readonly string[],
    ): Promise<Buffer> {
      const tree = path.join(arena.dir, `tree-${Math.random().toString(36).slice(2)}`)
      await mkdir(tree)
      await make(tree)
      const entries = names ?? (await readdir(tree))
      const { stdout } = await run(
        'sh',
        ['-c', `tar -C ${tree} -czf - ${entries.join(' ')} | base64 -w0`],
        {
          maxBuffer: 64 << 20,
        },
      )
      await run('rm', ['-r', tree])
      return Buffer.from(stdout, 'base64')
    }

    it('announces every entry before writing it, and hands over every raw byte for hashing', async () => {
      const bytes = await tarOf(async (tree) => {
        await mkdir(path.join(tree, 'world'))
        await writeFile(path.join(tree, 'world/level.dat'), Buffer.alloc(3 << 20, 1))
        await writeFile(path.join(tree, 'server.properties'), 'motd=x\n')
      })
      const announced: { path: string; existed: boolean }[] = []
      const hash = createHash('sha256')

      await extractTarGz(jail, Readable.from([bytes]), {
        onEntry: (entry) => {
          const existed = existsSync(path.join(arena.root, entry))
          announced.push({ path: entry, existed })
        },
        onArchiveChunk: (chunk) => hash.update(chunk),
      })

      expect(announced.map((a) => a.path).sort()).toEqual([
        'server.properties',
        'world',
        'world/level.dat',
      ])
      expect(announced.every((a) => !a.existed)).toBe(true)
      expect(hash.digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'))
      expect((await readFile(path.join(arena.root, 'world/level.dat'))).length).toBe(3 << 20)
    })

    it('restores links that stay inside the root and skips, with a log line, those that leave it', async () => {
      const bytes = await tarOf(async (tree) => {
        await mkdir(path.join(tree, 'plugins'))
        await writeFile(path.join(tree, 'plugins/a.jar'), 'jar')
        await symlink('a.jar', path.join(tree, 'plugins/current.jar'))
        await symlink('../plugins', path.join(tree, 'plugins/self'))
        await symlink('/etc/passwd', path.join(tree, 'passwd'))
        await symlink('../../outside/secret.txt', path.join(tree, 'plugins/escape'))
      })
      const lines: { message: string; fields?: Record<string, unknown> }[] = []

      const result = await extractTarGz(jail, Readable.from([bytes]), {
        logger: recordingLogger(lines),
      })

      expect(await readlink(path.join(arena.root, 'plugins/current.jar'))).toBe('a.jar')
      expect(await readlink(path.join(arena.root, 'plugins/self'))).toBe('../plugins')
      await expect(lstat(path.join(arena.root, 'passwd'))).rejects.toThrow('ENOENT')
      await expect(lstat(path.join(arena.root, 'plugins/escape'))).rejects.toThrow('ENOENT')
      expect(lines.map((l) => [l.message, l.fields?.path]).sort()).toEqual([
        ['archive symlink points outside the server root; skipped', 'passwd'],
        ['archive symlink points outside the server root; skipped', 'plugins/escape'],
      ])
      expect(result.skipped).toBe(2)
      expect(await snapshot(arena.outside)).toEqual(outsideBefore)
    })

    it('writes a file through an existing link as a new file, never through it', async () => {
      await symlink(path.join(arena.outside, 'victim.txt'), path.join(arena.root, 'victim.txt'))
      const bytes = await tarOf((tree) => writeFile(path.join(tree, 'victim.txt'), 'pwned'))

      await extractTarGz(jail, Readable.from([bytes]), {})

      expect(await readFile(path.join(arena.root, 'victim.txt'), 'utf8')).toBe('pwned')
      expect(await snapshot(arena.outside)).toEqual(outsideBefore)
    })

    it('round-trips a backup-style tree: modes, mtimes, links and empty directories', async () => {
      await mkdir(path.join(arena.root, 'src/world/empty'), { recursive: true })
      await writeFile(path.join(arena.root, 'src/world/level.dat'), Buffer.alloc(2_000_000, 9))
      await writeFile(path.join(arena.root, 'src/start.sh'), '#!/bin/sh\n', { mode: 0o750 })
      await symlink('world/level.dat', path.join(arena.root, 'src/level-link'))
      await run('touch', ['-d', '2020-01-02T03:04:05Z', path.join(arena.root, 'src/start.sh')])

      const bytes = Buffer.concat(
        await createTarGzStream(jail, { directory: 'src', symlinks: true }).toArray(),
      )
      await extractTarGz(jail, Readable.from([bytes]), { directory: 'dst' })

      expect(await snapshot(path.join(arena.root, 'dst'))).toEqual(
        await snapshot(path.join(arena.root, 'src')),
      )
      expect((await lstat(path.join(arena.root, 'dst/start.sh'))).mtime.toISOString()).toBe(
        '2020-01-02T03:04:05.000Z',
      )
    })

    it('leaves nothing of an entry cut short, and keeps the entries before it', async () => {
      const whole = await tarOf(
        async (tree) => {
          await writeFile(path.join(tree, 'a.txt'), 'first')
          await writeFile(path.join(tree, 'b.bin'), Buffer.alloc(3 << 20, 5))
        },
        ['a.txt', 'b.bin'],
      )
      const tar = (
        await run(
          'sh',
          ['-c', `echo ${whole.toString('base64')} | base64 -d | gzip -dc | base64 -w0`],
          { maxBuffer: 64 << 20 },
        )
      ).stdout
      const plain = Buffer.from(tar, 'base64')
      // The tar stream ends 1 MiB into b.bin, gzip'd whole so only the tar is cut.
      const cut = gzipSync(plain.subarray(0, plain.indexOf('b.bin') + 512 + (1 << 20)))

      const result = await outcome(extractTarGz(jail, Readable.from([cut]), {}))

      expect(result).toMatchObject({ code: 'BAD_REQUEST' })
      expect((await readdir(arena.root)).sort()).toEqual(['a.txt'])
      expect(await readFile(path.join(arena.root, 'a.txt'), 'utf8')).toBe('first')
    })

    it('refuses a compressed stream that holds no tar', async () => {
      const result = await outcome(extractTarGz(jail, Readable.from([gzipSync('just text')]), {}))

      expect(result).toMatchObject({ code: 'BAD_REQUEST' })
      expect(await readdir(arena.root)).toEqual([])
    })
  })
})
