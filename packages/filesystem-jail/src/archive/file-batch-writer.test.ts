import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { jailFaultOf } from '../errors.js'
import { Jail } from '../jail.js'
import { FileBatchWriter } from './file-batch-writer.js'

let dir: string
let root: string
let jail: Jail

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'file-batch-'))
  root = path.join(dir, 'root')
  await mkdir(root)
  jail = await Jail.open(root, { diskCheckIntervalMs: 0, owner: { uid: 4321, gid: 5432 } })
})

afterEach(async () => {
  await jail.close()
  await rm(dir, { recursive: true, force: true })
})

async function reason(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'ok',
    (error: unknown) => jailFaultOf(error)?.reason,
  )
}

describe('FileBatchWriter', () => {
  it('writes many files at once into new directories, with mode, mtime and owner', async () => {
    await writeFile(path.join(root, 'old.txt'), 'x'.repeat(100))
    const writer = new FileBatchWriter(jail, { replaceLinks: false })
    const mtime = new Date('2021-05-06T07:08:09Z')

    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        writer.write(`d${i % 5}/sub/f${i}.txt`, Buffer.from(`file ${i}`), { mode: 0o640, mtime }),
      ),
    )
    await writer.write('old.txt', Buffer.from('new'), { mode: 0o600 })
    await writer.close()

    expect(await readFile(path.join(root, 'd3/sub/f13.txt'), 'utf8')).toBe('file 13')
    expect(await readFile(path.join(root, 'old.txt'), 'utf8')).toBe('new')
    const stats = await lstat(path.join(root, 'd3/sub/f13.txt'))
    expect(stats).toMatchObject({ uid: 4321, gid: 5432 })
    expect(stats.mode & 0o777).toBe(0o640)
    expect(stats.mtime.toISOString()).toBe('2021-05-06T07:08:09.000Z')
    expect(
      (await readdir(path.join(root, 'd3/sub'))).filter((n) => n.startsWith('.jail-')),
    ).toEqual([])
    // 50 files of 6 or 7 bytes, plus 3 bytes replacing 100.
    expect(jail.quota.usage.current).toBe(40 * 7 + 10 * 6 + 3 - 100)
  })

  it('copies a buffer that shares its memory instead of moving it away from the others', async () => {
    const a = Buffer.from('hello')
    const b = Buffer.from('world')
    const writer = new FileBatchWriter(jail, { replaceLinks: false })

    await writer.write('a.txt', a, { mode: 0o644 })
    await writer.close()

    expect(a.toString()).toBe('hello')
    expect(b.toString()).toBe('world')
    expect(await readFile(path.join(root, 'a.txt'), 'utf8')).toBe('hello')
  })

  it('never writes through a directory or a final symlink, unless told to replace links', async () => {
    await mkdir(path.join(root, 'dir'))
    await symlink(path.join(dir, 'outside.txt'), path.join(root, 'link'))
    const refusing = new FileBatchWriter(jail, { replaceLinks: false })

    expect(await reason(refusing.write('dir', Buffer.from('x'), { mode: 0o644 }))).toBe(
      'is_directory',
    )
    expect(await reason(refusing.write('link', Buffer.from('x'), { mode: 0o644 }))).toBe('symlink')
    await refusing.close()
    expect(await readlink(path.join(root, 'link'))).toBe(path.join(dir, 'outside.txt'))

    const replacing = new FileBatchWriter(jail, { replaceLinks: true })
    await replacing.write('link', Buffer.from('restored'), { mode: 0o644 })
    await replacing.close()

    expect(await readFile(path.join(root, 'link'), 'utf8')).toBe('restored')
    expect(await readdir(dir)).toEqual(['root'])
    expect((await readdir(root)).sort()).toEqual(['dir', 'link'])
    expect(jail.quota.reservedBytes).toBe(0)
  })
})
