import { randomBytes } from 'node:crypto'
import { readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { createTempDir } from '@node/testkit'
import { describe, expect, it, vi } from 'vitest'

import { MiB, randomFile, sha256Of } from './support/files.js'
import { PASSWORD, startSftpServer, USERNAME } from './support/sftp-harness.js'
import { connectSftp, STATUS, statusOf } from './support/ssh-client.js'

const login = { username: USERNAME, password: PASSWORD }

describe('SFTP transfers', () => {
  it('uploads and downloads a large file byte for byte', async () => {
    await using local = await createTempDir()
    const source = path.join(local.path, 'source.bin')
    const digest = await randomFile(source, 48 * MiB + 12_345)
    await using h = await startSftpServer()
    await using c = await connectSftp(h.port, login)

    await c.call.fastPut(source, '/world/region.bin')
    await c.call.fastGet('/world/region.bin', path.join(local.path, 'back.bin'))

    expect(await sha256Of(path.join(h.root, 'world/region.bin'))).toBe(digest)
    expect(await sha256Of(path.join(local.path, 'back.bin'))).toBe(digest)
    expect(await h.view.jail.diskUsage()).toBe(48 * MiB + 12_345)
  })

  it('stops an upload that crosses the quota with status 15 and leaves nothing of it', async () => {
    await using local = await createTempDir()
    const source = path.join(local.path, 'big.bin')
    await randomFile(source, 8 * MiB)
    await using h = await startSftpServer({ jail: { diskLimitBytes: 4 * MiB } })
    await writeFile(path.join(h.root, 'keep.txt'), 'kept')
    await using c = await connectSftp(h.port, login)

    const failure = await c.call.fastPut(source, '/big.bin').catch((error: unknown) => error)

    expect(failure).toMatchObject({ code: STATUS.QUOTA_EXCEEDED, message: 'Quota Exceeded' })
    await vi.waitFor(async () => expect(await readdir(h.root)).toEqual(['keep.txt']))
    expect(await h.view.jail.diskUsage()).toBe(0)
    await c.call.writeFile('/small.txt', Buffer.alloc(MiB))
    expect((await readdir(h.root)).sort()).toEqual(['keep.txt', 'small.txt'])
  })

  it('refuses to open a file for writing while the server is over its limit', async () => {
    await using h = await startSftpServer({ jail: { diskLimitBytes: 8 * MiB } })
    await h.view.jail.writeFile('/world.bin', Buffer.alloc(5 * MiB))
    h.view.jail.quota.setLimit(4 * MiB)
    await using c = await connectSftp(h.port, login)

    expect(await statusOf(c.call.open('/new.txt', 'w'))).toBe(STATUS.QUOTA_EXCEEDED)
    expect((await c.call.readFile('/world.bin')).length).toBe(5 * MiB)
  })

  it('drops an upload cut off by a disconnect, leaving no file and no temporary', async () => {
    await using h = await startSftpServer()
    const c = await connectSftp(h.port, login)
    const handle = await c.call.open('/partial.bin', 'w')
    await c.call.write(handle, randomBytes(MiB), 0)

    c.client.destroy()

    await vi.waitFor(() => expect(h.server.connectionCount).toBe(0))
    await vi.waitFor(async () => expect(await readdir(h.root)).toEqual([]))
    expect(await h.view.jail.diskUsage()).toBe(0)
  })

  it('serves writes that arrive in order from many files at once', async () => {
    await using h = await startSftpServer()
    await using c = await connectSftp(h.port, login)
    const files = Array.from({ length: 8 }, (_, i) => ({
      name: `/f${i}.bin`,
      data: randomBytes(256 * 1024 + i),
    }))

    await Promise.all(files.map((f) => c.call.writeFile(f.name, f.data)))

    for (const f of files) expect((await c.call.readFile(f.name)).equals(f.data)).toBe(true)
  })
})
