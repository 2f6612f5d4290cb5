import { readdir, readFile } from 'node:fs/promises'

import { Jail } from '@node/filesystem-jail'
import { createTempDir } from '@node/testkit'
import { describe, expect, it } from 'vitest'

import { STATUS } from '../protocol/constants.js'
import { WriteHandle } from './write-handle.js'

async function handleFor(jail: Jail, path: string, maxReorderBytes = 64): Promise<WriteHandle> {
  return new WriteHandle({
    path: `/${path}`,
    stream: await jail.openWrite(path),
    created: true,
    maxReorderBytes,
    mode: 0o644,
    clock: { now: () => 0 },
  })
}

describe('WriteHandle', () => {
  it('puts the bytes in place only on commit', async () => {
    await using dir = await createTempDir()
    const jail = await Jail.open(dir.path, { diskCheckIntervalMs: 0 })
    const handle = await handleFor(jail, 'a.txt')

    await handle.write(0n, Buffer.from('hello '))
    await handle.write(6n, Buffer.from('world'))
    expect(await readdir(dir.path)).not.toContain('a.txt')
    await handle.commit()

    expect(await readFile(`${dir.path}/a.txt`, 'utf8')).toBe('hello world')
    await jail.close()
  })

  it('holds a write that arrives ahead of a gap until the gap is filled', async () => {
    await using dir = await createTempDir()
    const jail = await Jail.open(dir.path, { diskCheckIntervalMs: 0 })
    const handle = await handleFor(jail, 'a.txt')

    await handle.write(3n, Buffer.from('def'))
    expect(handle.stat().size).toBe(0)
    await handle.write(0n, Buffer.from('abc'))
    await handle.commit()

    expect(await readFile(`${dir.path}/a.txt`, 'utf8')).toBe('abcdef')
    await jail.close()
  })

  it('refuses a write over bytes already written, and then the whole upload', async () => {
    await using dir = await createTempDir()
    const jail = await Jail.open(dir.path, { diskCheckIntervalMs: 0 })
    const handle = await handleFor(jail, 'a.txt')
    await handle.write(0n, Buffer.from('abc'))

    await expect(handle.write(1n, Buffer.from('x'))).rejects.toMatchObject({
      code: STATUS.OP_UNSUPPORTED,
    })
    await expect(handle.commit()).rejects.toMatchObject({ code: STATUS.OP_UNSUPPORTED })

    expect(await readdir(dir.path)).toEqual([])
    await jail.close()
  })

  it('fails a commit with a gap and leaves nothing behind', async () => {
    await using dir = await createTempDir()
    const jail = await Jail.open(dir.path, { diskCheckIntervalMs: 0 })
    const handle = await handleFor(jail, 'a.txt')
    await handle.write(4n, Buffer.from('late'))

    await expect(handle.commit()).rejects.toMatchObject({ code: STATUS.FAILURE })

    expect(await readdir(dir.path)).toEqual([])
    await jail.close()
  })

  it('refuses to hold more than maxReorderBytes ahead of a gap', async () => {
    await using dir = await createTempDir()
    const jail = await Jail.open(dir.path, { diskCheckIntervalMs: 0 })
    const handle = await handleFor(jail, 'a.txt', 4)

    await expect(handle.write(10n, Buffer.from('12345'))).rejects.toMatchObject({
      code: STATUS.OP_UNSUPPORTED,
    })
    await handle.abort()
    await jail.close()
  })

  it('stops at the quota with the jail error and removes what it wrote', async () => {
    await using dir = await createTempDir()
    const jail = await Jail.open(dir.path, { diskCheckIntervalMs: 0, diskLimitBytes: 10 })
    const handle = await handleFor(jail, 'big.bin')
    await handle.write(0n, Buffer.alloc(8))

    await expect(handle.write(8n, Buffer.alloc(8))).rejects.toMatchObject({
      code: 'QUOTA_EXCEEDED',
    })
    await expect(handle.commit()).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' })

    expect(await readdir(dir.path)).toEqual([])
    expect(await jail.diskUsage()).toBe(0)
    await jail.close()
  })
})
