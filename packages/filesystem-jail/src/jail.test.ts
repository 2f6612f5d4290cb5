import {
  chmod,
  lstat,
  readlink,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { pipeline } from 'node:stream/promises'

import { isDaemonError } from '@node/shared-kernel'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import type { JailMode } from './backend/backend.js'
import { probeJailMode } from './backend/select-backend.js'
import { isFilesystemError, jailFaultOf } from './errors.js'
import { Jail, type JailOptions } from './jail.js'

const MODES: readonly JailMode[] = ['openat2', 'walk']

async function failure(promise: Promise<unknown>): Promise<{
  code: unknown
  message: string
  reason: unknown
  filesystemError: unknown
}> {
  try {
    await promise
  } catch (error) {
    return {
      code: isDaemonError(error) ? error.code : undefined,
      message: (error as Error).message,
      reason: jailFaultOf(error)?.reason,
      filesystemError: isFilesystemError(error),
    }
  }
  throw new Error('expected a failure')
}

/** Every name under `dir`, recursively, without following links. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true })
  return entries.sort()
}

describe('probeJailMode', () => {
  it('finds the native addon built and openat2 working on this machine', async () => {
    expect(await probeJailMode()).toEqual({
      mode: 'openat2',
      addon: path.resolve(import.meta.dirname, '../build/Release/filesystem_jail.node'),
    })
  })
})

describe.each(MODES)('Jail (%s mode)', (mode) => {
  let dir: string
  let root: string
  let jail: Jail

  async function openJail(options: JailOptions = {}): Promise<Jail> {
    await jail.close()
    jail = await Jail.open(root, { mode, diskCheckIntervalMs: 0, ...options })
    return jail
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'jail-'))
    root = path.join(dir, 'root')
    await mkdir(root)
    jail = await Jail.open(root, { mode, diskCheckIntervalMs: 0 })
  })

  afterEach(async () => {
    await jail.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('runs in the mode it was asked for', () => {
    expect(jail.mode).toBe(mode)
  })

  it('tells which backend it runs on, and why not the native one', () => {
    expect(jail.backend).toEqual(
      mode === 'openat2'
        ? {
            mode,
            addon: path.resolve(import.meta.dirname, '../build/Release/filesystem_jail.node'),
          }
        : { mode, nativeUnavailable: "mode 'walk' asked for" },
    )
  })

  describe('writeFile and openRead', () => {
    it('writes a file, creating parents, and reads exactly its bytes back', async () => {
      await jail.writeFile('/world/region/r.0.0.mca', 'hello world')

      const file = await jail.openRead('world/region/r.0.0.mca')

      expect(file.size).toBe(11)
      expect(await text(file.stream)).toBe('hello world')
      expect((await stat(path.join(root, 'world', 'region'))).mode & 0o777).toBe(0o755)
      expect((await stat(path.join(root, 'world/region/r.0.0.mca'))).mode & 0o777).toBe(0o644)
    })

    it('writes a stream of unknown length', async () => {
      const chunks = Array.from({ length: 50 }, (_, i) => Buffer.alloc(10_000, i))

      const written = await jail.writeFile('big.bin', Readable.from(chunks))

      expect(written.size).toBe(500_000)
      expect((await readFile(path.join(root, 'big.bin'))).equals(Buffer.concat(chunks))).toBe(true)
    })

    it('replaces a file atomically, keeping its permission bits', async () => {
      await writeFile(path.join(root, 'start.sh'), 'old')
      await chmod(path.join(root, 'start.sh'), 0o750)
      const before = await stat(path.join(root, 'start.sh'))

      await jail.writeFile('start.sh', 'new content')

      const after = await stat(path.join(root, 'start.sh'))
      expect(await readFile(path.join(root, 'start.sh'), 'utf8')).toBe('new content')
      expect(after.mode & 0o777).toBe(0o750)
      expect(after.ino).not.toBe(before.ino)
    })

    it('writes an empty body as an empty file', async () => {
      await jail.writeFile('empty.txt', '')

      const file = await jail.openRead('empty.txt')

      expect(file.size).toBe(0)
      expect(await text(file.stream)).toBe('')
    })

    it('sends only the bytes present when the file was opened', async () => {
      await writeFile(path.join(root, 'latest.log'), 'first line\n')
      const file = await jail.openRead('latest.log')

      await writeFile(path.join(root, 'latest.log'), 'second line\n', { flag: 'a' })

      expect(await text(file.stream)).toBe('first line\n')
    })

    it('refuses to read or write a directory with the spec message', async () => {
      await mkdir(path.join(root, 'world'))

      const read = await failure(jail.openRead('world'))
      const written = await failure(jail.writeFile('world', 'x'))

      for (const result of [read, written]) {
        expect(result).toEqual({
          code: 'BAD_REQUEST',
          message: 'Cannot perform that action: file is a directory.',
          reason: 'is_directory',
          filesystemError: true,
        })
      }
    })

    it('reports a missing file as not found', async () => {
      expect(await failure(jail.openRead('nope.txt'))).toEqual({
        code: 'NOT_FOUND',
        message: 'The requested resources was not found on the system.',
        reason: 'not_found',
        filesystemError: true,
      })
      expect((await failure(jail.openRead('no/such/dir/file'))).code).toBe('NOT_FOUND')
    })

    it('does not create parents when told not to', async () => {
      expect((await failure(jail.writeFile('a/b.txt', 'x', { createParents: false }))).code).toBe(
        'NOT_FOUND',
      )
      expect(await tree(root)).toEqual([])
    })

    it('refuses to replace an existing file when exclusive', async () => {
      await writeFile(path.join(root, 'keep.txt'), 'keep')

      const result = await failure(jail.writeFile('keep.txt', 'x', { exclusive: true }))

      expect(result.reason).toBe('exists')
      expect(await readFile(path.join(root, 'keep.txt'), 'utf8')).toBe('keep')
    })

    it('sets the mode and modification time it is given', async () => {
      const mtime = new Date('2020-05-06T07:08:09Z')

      await jail.writeFile('run.sh', '#!/bin/sh', { mode: 0o700, mtime })

      const stats = await stat(path.join(root, 'run.sh'))
      expect(stats.mode & 0o777).toBe(0o700)
      expect(stats.mtime.getTime()).toBe(mtime.getTime())
    })

    it('gives created files and directories to the configured owner', async () => {
      await openJail({ owner: { uid: 1234, gid: 2345 } })

      await jail.writeFile('a/b/c.txt', 'x')
      await jail.mkdirp('d/e')

      for (const name of ['a', 'a/b', 'a/b/c.txt', 'd', 'd/e']) {
        const stats = await lstat(path.join(root, name))
        expect([name, stats.uid, stats.gid]).toEqual([name, 1234, 2345])
      }
    })

    it('leaves no temporary file behind a destroyed writer', async () => {
      await writeFile(path.join(root, 'config.yml'), 'original')
      const writer = await jail.openWrite('config.yml')
      const closed = new Promise((resolve) => writer.once('close', resolve))
      writer.on('error', () => undefined)
      writer.write('partial')

      writer.destroy(new Error('client went away'))
      await closed

      expect(await tree(root)).toEqual(['config.yml'])
      expect(await readFile(path.join(root, 'config.yml'), 'utf8')).toBe('original')
    })

    it('keeps a staged file unnamed until it is committed', async () => {
      await writeFile(path.join(root, 'config.yml'), 'original')
      const writer = await jail.openWrite('config.yml', { staged: true })

      await pipeline(Readable.from([Buffer.from('replaced')]), writer)
      expect(await readFile(path.join(root, 'config.yml'), 'utf8')).toBe('original')
      expect(await tree(root)).toHaveLength(2)
      await writer.commit()

      expect(await tree(root)).toEqual(['config.yml'])
      expect(await readFile(path.join(root, 'config.yml'), 'utf8')).toBe('replaced')
      expect(await jail.diskUsage()).toBe('replaced'.length - 'original'.length)
    })

    it('removes a discarded staged file and frees its reservation', async () => {
      await openJail({ diskLimitBytes: 100 })
      const writer = await jail.openWrite('a.bin', { staged: true })
      await pipeline(Readable.from([Buffer.alloc(60)]), writer)

      await writer.discard()

      expect(await tree(root)).toEqual([])
      expect(jail.quota.reservedBytes).toBe(0)
      await jail.writeFile('b.bin', Buffer.alloc(90))
    })
  })

  describe('stat and list', () => {
    beforeEach(async () => {
      await mkdir(path.join(root, 'plugins'))
      await writeFile(path.join(root, 'server.properties'), 'motd=hi')
      await symlink('server.properties', path.join(root, 'props-link'))
      await symlink('/etc', path.join(root, 'etc-link'))
    })

    it('lists every entry with lstat metadata, never following links', async () => {
      const entries: Record<string, string> = {}
      for await (const entry of jail.list('/')) entries[entry.name] = entry.stats.kind

      expect(entries).toEqual({
        plugins: 'directory',
        'server.properties': 'file',
        'props-link': 'symlink',
        'etc-link': 'symlink',
      })
    })

    it('streams a large directory in batches', async () => {
      await Promise.all(
        Array.from({ length: 1000 }, (_, i) => writeFile(path.join(root, 'plugins', `f${i}`), '')),
      )

      let count = 0
      for await (const entry of jail.list('plugins', { batchSize: 64 })) {
        expect(entry.stats.kind).toBe('file')
        count++
      }

      expect(count).toBe(1000)
    })

    it('refuses to list a file, a missing directory, or a final symlink', async () => {
      const list = async (p: string): Promise<void> => {
        for await (const _ of jail.list(p)) void _
      }

      expect((await failure(list('server.properties'))).code).toBe('NOT_FOUND')
      expect((await failure(list('missing'))).code).toBe('NOT_FOUND')
      expect((await failure(list('etc-link'))).code).toBe('NOT_FOUND')
    })

    it('describes a final symlink instead of following it', async () => {
      const stats = await jail.stat('props-link')

      expect(stats.kind).toBe('symlink')
      expect((await jail.stat('/')).kind).toBe('directory')
      expect(await jail.exists('plugins')).toBe(true)
      expect(await jail.exists('plugins/nothing')).toBe(false)
    })
  })

  describe('mkdirp', () => {
    it('creates nested directories and accepts existing ones', async () => {
      await jail.mkdirp('a/b/c')
      await jail.mkdirp('/a/b')

      expect((await stat(path.join(root, 'a/b/c'))).isDirectory()).toBe(true)
    })

    it('says which part of the path is not a directory', async () => {
      await writeFile(path.join(root, 'file'), '')

      expect(await failure(jail.mkdirp('file/sub'))).toMatchObject({
        code: 'BAD_REQUEST',
        message: 'Part of the path being created is not a directory (ENOTDIR).',
      })
      expect(await failure(jail.mkdirp('file'))).toMatchObject({
        code: 'BAD_REQUEST',
        message: 'Cannot create directory, name conflicts with an existing file by the same name.',
      })
    })
  })

  describe('rename', () => {
    it('moves a file into new directories', async () => {
      await writeFile(path.join(root, 'a.txt'), 'a')

      await jail.rename('a.txt', '/x/y/b.txt')

      expect(await tree(root)).toEqual(['x', 'x/y', 'x/y/b.txt'])
    })

    it('moves a directory with its content', async () => {
      await mkdir(path.join(root, 'world/region'), { recursive: true })
      await writeFile(path.join(root, 'world/region/r.mca'), 'r')

      await jail.rename('world', 'world-old')

      expect(await tree(root)).toEqual(['world-old', 'world-old/region', 'world-old/region/r.mca'])
    })

    it('never replaces an existing destination', async () => {
      await writeFile(path.join(root, 'a.txt'), 'a')
      await writeFile(path.join(root, 'b.txt'), 'b')

      expect(await failure(jail.rename('a.txt', 'b.txt'))).toMatchObject({
        code: 'BAD_REQUEST',
        message: 'Cannot move or rename file, destination already exists.',
      })
      expect(await readFile(path.join(root, 'b.txt'), 'utf8')).toBe('b')
    })

    it('refuses to move a directory into itself, by name or through a link', async () => {
      await mkdir(path.join(root, 'world/region'), { recursive: true })
      await symlink('world', path.join(root, 'world-link'))
      const INTO_ITSELF = {
        code: 'BAD_REQUEST',
        message: 'Cannot perform that action: a directory cannot be moved into itself.',
        reason: 'into_itself',
      }

      expect(await failure(jail.rename('world', 'world/new/world'))).toMatchObject(INTO_ITSELF)
      expect(await failure(jail.rename('world', 'world-link/region/w'))).toMatchObject(INTO_ITSELF)

      // (readdir lists the link's view of the directory too.)
      expect(await tree(root)).toEqual(['world', 'world-link', 'world-link/region', 'world/region'])
    })

    it('reports a missing source as not found and refuses the root', async () => {
      expect((await failure(jail.rename('missing', 'b'))).code).toBe('NOT_FOUND')
      expect((await failure(jail.rename('/', 'b'))).reason).toBe('root')
      expect((await failure(jail.rename('a/..', 'b'))).reason).toBe('root')
    })
  })

  describe('copy', () => {
    it('copies next to the source under the spec names, keeping the mode', async () => {
      await writeFile(path.join(root, 'server.properties'), 'motd=hi')
      await chmod(path.join(root, 'server.properties'), 0o600)
      await writeFile(path.join(root, 'world.tar.gz'), 'tgz')

      const first = await jail.copy('server.properties')
      const second = await jail.copy('/server.properties')
      const archive = await jail.copy('world.tar.gz')

      expect([first, second, archive]).toEqual([
        'server copy.properties',
        'server copy 1.properties',
        'world copy.tar.gz',
      ])
      expect(await readFile(path.join(root, 'server copy 1.properties'), 'utf8')).toBe('motd=hi')
      expect((await stat(path.join(root, 'server copy.properties'))).mode & 0o777).toBe(0o600)
    })

    it('copies under a given name in the same directory', async () => {
      await mkdir(path.join(root, 'cfg'))
      await writeFile(path.join(root, 'cfg/a.yml'), 'a')

      expect(await jail.copy('cfg/a.yml', { name: 'b.yml' })).toBe('cfg/b.yml')
      expect((await failure(jail.copy('cfg/a.yml', { name: '../b.yml' }))).code).toBe('NOT_FOUND')
    })

    it('treats anything but a regular file as not found', async () => {
      await mkdir(path.join(root, 'dir'))

      expect((await failure(jail.copy('dir'))).code).toBe('NOT_FOUND')
      expect((await failure(jail.copy('missing'))).code).toBe('NOT_FOUND')
      expect(await tree(root)).toEqual(['dir'])
    })
  })

  describe('remove', () => {
    it('removes a tree and reports the bytes it freed', async () => {
      await mkdir(path.join(root, 'world/region'), { recursive: true })
      await writeFile(path.join(root, 'world/level.dat'), Buffer.alloc(100))
      await writeFile(path.join(root, 'world/region/r.mca'), Buffer.alloc(1000))
      await symlink('/etc/passwd', path.join(root, 'world/passwd'))

      const result = await jail.remove('world')

      expect(result).toEqual({ freedBytes: 1100 })
      expect(await tree(root)).toEqual([])
      expect(await stat('/etc/passwd')).toBeTruthy()
    })

    it('ignores a missing path and refuses the root', async () => {
      expect(await jail.remove('missing/deeper')).toEqual({ freedBytes: 0 })
      const root = await failure(jail.remove('/'))
      expect(root.reason).toBe('root')
      expect(root.code).toBeUndefined()
    })
  })

  describe('chmod and chown', () => {
    it('sets permission bits, dropping set-id and sticky bits', async () => {
      await writeFile(path.join(root, 'run.sh'), '')
      await mkdir(path.join(root, 'dir'))

      await jail.chmod('run.sh', 0o4755)
      await jail.chmod('dir', 0o700)

      expect((await stat(path.join(root, 'run.sh'))).mode & 0o7777).toBe(0o755)
      expect((await stat(path.join(root, 'dir'))).mode & 0o7777).toBe(0o700)
    })

    it('refuses a mode that is not a permission number', async () => {
      await writeFile(path.join(root, 'run.sh'), '')

      for (const mode of [-1, 0o10000, 1.5, Number.NaN]) {
        expect(await failure(jail.chmod('run.sh', mode))).toMatchObject({
          code: 'BAD_REQUEST',
          message: 'Invalid file mode.',
        })
      }
    })

    it('changes the owner of a file', async () => {
      await writeFile(path.join(root, 'a.txt'), '')

      await jail.chown('a.txt', 4321, 5432)

      expect(await lstat(path.join(root, 'a.txt'))).toMatchObject({ uid: 4321, gid: 5432 })
    })
  })

  describe('symlink and readlink', () => {
    beforeEach(async () => {
      await mkdir(path.join(root, 'plugins/old'), { recursive: true })
      await writeFile(path.join(root, 'plugins/a.jar'), 'jar')
    })

    it('makes a link beneath the root, owned by the owner; an absolute target is stored relative', async () => {
      await openJail({ owner: { uid: 4321, gid: 5432 } })

      await jail.symlink('/plugins/a.jar', 'plugins/old/current.jar')
      await jail.symlink('a.jar', 'plugins/same-dir.jar')

      expect(await readlink(path.join(root, 'plugins/old/current.jar'))).toBe('../a.jar')
      expect(await readlink(path.join(root, 'plugins/same-dir.jar'))).toBe('a.jar')
      expect(await lstat(path.join(root, 'plugins/old/current.jar'))).toMatchObject({
        uid: 4321,
        gid: 5432,
      })
      expect((await failure(jail.openRead('plugins/old/current.jar'))).reason).toBe('symlink')
    })

    it('refuses a target that leaves the root, an existing name and a denied link path', async () => {
      await openJail({ denylist: ['*.cfg'] })

      expect(await failure(jail.symlink('../../etc/passwd', 'plugins/p'))).toMatchObject({
        code: 'NOT_FOUND',
        reason: 'outside_root',
      })
      expect(await failure(jail.symlink('/../x', 'p'))).toMatchObject({ reason: 'outside_root' })
      expect(await failure(jail.symlink('/plugins', 'plugins/a.jar'))).toMatchObject({
        reason: 'exists',
      })
      expect(await failure(jail.symlink('/plugins/a.jar', 'server.cfg'))).toMatchObject({
        code: 'DENIED',
      })
      expect(await failure(jail.symlink('/plugins', 'missing/link'))).toMatchObject({
        code: 'NOT_FOUND',
      })
      expect((await tree(root)).sort()).toEqual(['plugins', 'plugins/a.jar', 'plugins/old'])
      expect(await readFile(path.join(root, 'plugins/a.jar'), 'utf8')).toBe('jar')
    })

    it('reads a link as a path from the root, without following it', async () => {
      await symlink('../a.jar', path.join(root, 'plugins/old/up.jar'))
      await symlink('/etc/passwd', path.join(root, 'abs'))
      await symlink('../../outside', path.join(root, 'plugins/escape'))
      await symlink('old', path.join(root, 'plugins/dir-link'))

      expect(await jail.readlink('plugins/old/up.jar')).toBe('/plugins/a.jar')
      expect(await jail.readlink('/plugins/dir-link')).toBe('/plugins/old')
      expect(await failure(jail.readlink('abs'))).toMatchObject({ reason: 'outside_root' })
      expect(await failure(jail.readlink('plugins/escape'))).toMatchObject({
        reason: 'outside_root',
      })
      expect(await failure(jail.readlink('plugins/a.jar'))).toMatchObject({
        code: 'NOT_FOUND',
        reason: 'not_found',
      })
      expect(await failure(jail.readlink('plugins/none'))).toMatchObject({ code: 'NOT_FOUND' })
    })
  })

  describe('openWriteHandle', () => {
    it('writes at any offset into a file that takes its name only at commit', async () => {
      await writeFile(path.join(root, 'a.bin'), 'old content')
      const handle = await jail.openWriteHandle('a.bin')

      await Promise.all([
        handle.write(Buffer.from('world'), 6),
        handle.write(Buffer.from('hello '), 0),
      ])
      const during = await readFile(path.join(root, 'a.bin'), 'utf8')
      const { size } = await handle.stat()
      await handle.commit()

      expect(during).toBe('old content')
      expect(size).toBe(11)
      expect(await readFile(path.join(root, 'a.bin'), 'utf8')).toBe('hello world')
      expect((await tree(root)).filter((n) => n.includes('.jail-'))).toEqual([])
    })

    it('admits only growth past the highest byte written, and leaves nothing when aborted', async () => {
      await openJail({ diskLimitBytes: 1000 })
      await writeFile(path.join(root, 'keep.txt'), 'keep')
      const handle = await jail.openWriteHandle('new.bin')

      await handle.write(Buffer.alloc(800, 1), 0)
      await handle.write(Buffer.alloc(800, 2), 0)
      await handle.write(Buffer.alloc(100, 3), 50)
      const over = await failure(handle.write(Buffer.alloc(300, 4), 900))
      await handle.abort()

      expect(over).toMatchObject({ code: 'QUOTA_EXCEEDED', reason: 'quota' })
      expect(await tree(root)).toEqual(['keep.txt'])
      expect(jail.quota.reservedBytes).toBe(0)
    })

    it('refuses what openWrite refuses: a directory, a final symlink, a denied path', async () => {
      await openJail({ denylist: ['*.jar'] })
      await mkdir(path.join(root, 'dir'))
      await symlink('/etc/passwd', path.join(root, 'link'))

      expect((await failure(jail.openWriteHandle('dir'))).reason).toBe('is_directory')
      expect((await failure(jail.openWriteHandle('link'))).reason).toBe('symlink')
      expect((await failure(jail.openWriteHandle('a.jar'))).code).toBe('DENIED')
      expect(await tree(root)).toEqual(['dir', 'link'])
    })
  })

  describe('quota accounting', () => {
    it('counts written bytes, replaced files and removals in the usage', async () => {
      await openJail({ diskLimitBytes: 10_000 })

      await jail.writeFile('a.bin', Buffer.alloc(3000))
      await jail.writeFile('a.bin', Buffer.alloc(1000))
      await jail.writeFile('b.bin', Readable.from([Buffer.alloc(2000)]))
      await jail.copy('b.bin')
      await jail.remove('a.bin')

      expect(jail.quota.usage.current).toBe(4000)
      expect(await jail.diskUsage()).toBe(4000)
    })

    it('refuses a write whose declared size does not fit, before writing anything', async () => {
      await openJail({ diskLimitBytes: 1000 })
      await jail.writeFile('a.bin', Buffer.alloc(600))

      const result = await failure(jail.openWrite('b.bin', { size: 500 }))

      expect(result).toMatchObject({
        code: 'QUOTA_EXCEEDED',
        message: 'There is not enough disk space available to perform that action.',
      })
      expect(await tree(root)).toEqual(['a.bin'])
    })

    it('admits a rewrite by the difference to the file it replaces', async () => {
      await openJail({ diskLimitBytes: 1000 })
      await jail.writeFile('a.bin', Buffer.alloc(900))

      await jail.writeFile('a.bin', Buffer.alloc(1000))

      expect(jail.quota.usage.current).toBe(1000)
    })

    it('refuses a copy that does not fit', async () => {
      await openJail({ diskLimitBytes: 1000 })
      await jail.writeFile('a.bin', Buffer.alloc(600))

      expect((await failure(jail.copy('a.bin'))).code).toBe('QUOTA_EXCEEDED')
      expect(await tree(root)).toEqual(['a.bin'])
    })

    it('measures the tree with a walk when asked for a fresh value', async () => {
      await writeFile(path.join(root, 'x'), Buffer.alloc(1234))
      await openJail({ diskCheckIntervalMs: 60_000 })

      expect(await jail.diskUsage('fresh')).toBe(1234)
    })
  })

  describe('denylist', () => {
    it('applies new patterns to operations that start after setDenylist', async () => {
      await writeFile(path.join(root, 'server.jar'), 'jar')
      expect(await text((await jail.openRead('server.jar')).stream)).toBe('jar')

      jail.setDenylist(['*.jar'])

      expect(await failure(jail.openRead('server.jar'))).toMatchObject({
        code: 'DENIED',
        message: 'This file cannot be modified: present in egg denylist.',
        filesystemError: true,
      })
      expect(jail.denylist.patterns).toEqual(['*.jar'])
    })
  })

  describe('close', () => {
    it('lets running operations finish, then refuses new ones', async () => {
      const write = jail.writeFile('a.txt', 'a')

      await jail.close()

      await write
      expect(await readFile(path.join(root, 'a.txt'), 'utf8')).toBe('a')
      expect((await failure(jail.stat('a.txt'))).reason).toBe('closed')
    })
  })
})
