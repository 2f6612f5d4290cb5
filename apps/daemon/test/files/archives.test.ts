import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { gzipSync } from 'node:zlib'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { compressFiles, decompressArchive } from '@node/filesystem-jail'

import { tarGz, zip } from './archive-fixtures.js'
import { FilesHarness, snapshot, type HarnessOptions } from './harness.js'

const archives = { compress: compressFiles, decompress: decompressArchive }
const SECRET = 'TOP-SECRET-OUTSIDE'

async function start(options: HarnessOptions = {}): Promise<FilesHarness> {
  const h = await FilesHarness.start({ ...options, archives })
  await writeFile(path.join(h.outside, 'secret'), SECRET)
  await writeFile(path.join(h.root, 'keep.txt'), 'keep me')
  return h
}

describe('compress and decompress through the Panel flow', () => {
  let h: FilesHarness

  beforeEach(async () => {
    h = await start()
  })

  afterEach(async () => {
    await h.close()
  })

  it('extracts a zip: directories, files and their bytes', async () => {
    const binary = Buffer.from([0, 1, 2, 250, 255])
    await writeFile(
      path.join(h.root, 'pack.zip'),
      zip([
        { name: 'plugins/', data: '' },
        { name: 'plugins/config.yml', data: 'enabled: true\n' },
        { name: 'world/level.dat', data: binary },
      ]),
    )

    const res = await h.call('POST', '/files/decompress', { root: '/', file: 'pack.zip' })

    expect(res.status).toBe(204)
    expect(await readFile(path.join(h.root, 'plugins/config.yml'), 'utf8')).toBe('enabled: true\n')
    expect((await readFile(path.join(h.root, 'world/level.dat'))).equals(binary)).toBe(true)
  })

  it('stops a zip over the quota before writing the entry', async () => {
    await h.close()
    h = await start({ diskLimitBytes: 1024 * 1024 })
    await writeFile(
      path.join(h.root, 'big.zip'),
      zip([{ name: 'big.bin', data: Buffer.alloc(2 * 1024 * 1024, 1) }]),
    )
    await h.call('GET', '/files/list-directory?directory=/')

    const res = await h.call('POST', '/files/decompress', { root: '/', file: 'big.zip' })

    expect(res.status).toBe(400)
    await expect(readFile(path.join(h.root, 'big.bin'))).rejects.toThrow('ENOENT')
  })

  it('compresses a tree and decompresses an identical one', async () => {
    await mkdir(path.join(h.root, 'src/world/region'), { recursive: true })
    await writeFile(path.join(h.root, 'src/world/level.dat'), Buffer.from([1, 2, 3, 0, 255]))
    await writeFile(path.join(h.root, 'src/world/region/r.0.0.mca'), Buffer.alloc(70_000, 7))
    await writeFile(path.join(h.root, 'src/start.sh'), '#!/bin/sh\necho hi\n')
    await chmod(path.join(h.root, 'src/start.sh'), 0o755)
    await writeFile(path.join(h.root, 'src/server.properties'), 'motd=hi\n')

    const res = await h.call('POST', '/files/compress', {
      root: '/src',
      files: ['world', 'start.sh', 'server.properties'],
    })
    expect(res.status).toBe(200)
    const stat = (await res.json()) as { name: string; mime: string; size: number }
    expect(stat.name).toMatch(/^archive-\d{4}-\d\d-\d\dT\d{6}(Z|[+-]\d{4})\.tar\.gz$/)
    expect(stat.mime).toBe('application/tar+gzip')
    expect(stat.size).toBeGreaterThan(0)

    await h.call('POST', '/files/create-directory', { name: 'out', path: '/' })
    await h.call('PUT', '/files/rename', {
      root: '/',
      files: [{ from: `src/${stat.name}`, to: `out/${stat.name}` }],
    })
    const decompress = await h.call('POST', '/files/decompress', { root: '/out', file: stat.name })
    expect(decompress.status).toBe(204)

    const original = await snapshot(path.join(h.root, 'src'))
    const restored = await snapshot(path.join(h.root, 'out'))
    delete restored[stat.name]
    expect(restored).toEqual(original)
  })

  it('refuses an empty list and an unknown format with the spec texts', async () => {
    const empty = await h.call('POST', '/files/compress', { root: '/', files: [] })
    expect(empty.status).toBe(422)
    expect(await empty.json()).toEqual({ error: 'No files were passed through to be compressed.' })

    await writeFile(path.join(h.root, 'not.zip'), 'this is no archive at all')
    const before = await snapshot(h.root)
    const res = await h.call('POST', '/files/decompress', { root: '/', file: 'not.zip' })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe(
      'The archive provided is in a format Wings does not understand.',
    )
    expect(await snapshot(h.root)).toEqual(before)
  })
})

describe('compress without free space', () => {
  it('answers 409 before writing anything', async () => {
    const h = await start({ diskLimitBytes: 64, diskCheckIntervalMs: 60_000 })
    try {
      await writeFile(path.join(h.root, 'big.bin'), Buffer.alloc(128))
      await h.jail.diskUsage('fresh')
      const before = await snapshot(h.root)
      const res = await h.call('POST', '/files/compress', { root: '/', files: ['big.bin'] })
      expect(res.status).toBe(409)
      expect(await res.json()).toEqual({
        error:
          'This server does not have enough available disk space to generate a compressed archive.',
      })
      expect(await snapshot(h.root)).toEqual(before)
    } finally {
      await h.close()
    }
  })
})

describe('archive attacks', () => {
  let h: FilesHarness

  afterEach(async () => {
    await h.close()
  })

  const SLIPS: readonly [string, Buffer][] = [
    ['tar ../', tarGz([{ name: '../outside/pwn', data: 'pwned' }])],
    ['tar ../../', tarGz([{ name: 'a/../../../outside/secret', data: 'pwned' }])],
    ['tar absolute', tarGz([{ name: '/tmp/pwn-abs', data: 'pwned' }])],
    [
      'tar symlink then write through it',
      tarGz([
        { name: 'link', type: 'symlink', linkname: '../outside' },
        { name: 'link/secret', data: 'pwned' },
      ]),
    ],
    [
      'tar absolute symlink then write through it',
      tarGz([
        { name: 'abs', type: 'symlink', linkname: '/' },
        { name: 'abs/tmp/pwn-abs', data: 'pwned' },
      ]),
    ],
    [
      'tar hard link to outside',
      tarGz([{ name: 'hl', type: 'hardlink', linkname: '../outside/secret' }]),
    ],
    ['tar entry over an existing symlink', tarGz([{ name: 'pre-link', data: 'pwned' }])],
    ['zip ../', zip([{ name: '../outside/pwn', data: 'pwned' }])],
    ['zip absolute', zip([{ name: '/tmp/pwn-abs', data: 'pwned' }])],
    ['zip backslashes', zip([{ name: '..\\..\\outside\\pwn', data: 'pwned' }])],
  ]

  it.each(SLIPS)('%s: nothing outside written, nothing inside lost', async (_name, archive) => {
    h = await start()
    await symlink(path.join(h.outside, 'secret'), path.join(h.root, 'pre-link'))
    await writeFile(path.join(h.root, 'evil.tar.gz'), archive)
    const outsideBefore = await snapshot(h.outside)
    const res = await h.call('POST', '/files/decompress', { root: '/', file: 'evil.tar.gz' })
    expect(await res.text()).not.toContain(SECRET)
    expect(await snapshot(h.outside)).toEqual(outsideBefore)
    expect(await readFile(path.join(h.outside, 'secret'), 'utf8')).toBe(SECRET)
    expect(await readFile(path.join(h.root, 'keep.txt'), 'utf8')).toBe('keep me')
    await expect(readFile('/tmp/pwn-abs')).rejects.toThrow()
  })

  const text = 'motd=A Minecraft Server\nmax-players=20\nonline-mode=true\n'
  it.each([
    ['a stored entry whose bytes fail its CRC-32', { corrupt: true }],
    ['a deflated entry whose bytes fail its CRC-32', { corrupt: true, deflate: true }],
    ['an entry that inflates past its declared size', { deflate: true, declaredSize: 10 }],
    ['an entry that inflates short of its declared size', { deflate: true, declaredSize: 500 }],
  ] as const)('refuses %s with the 400, keeping the old file', async (_name, lie) => {
    h = await start()
    await writeFile(path.join(h.root, 'server.properties'), 'motd=original\n')
    await writeFile(
      path.join(h.root, 'evil.zip'),
      zip([{ name: 'server.properties', data: text, ...lie }]),
    )
    const before = await snapshot(h.root)

    const res = await h.call('POST', '/files/decompress', { root: '/', file: 'evil.zip' })

    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe(
      'The archive provided is in a format Wings does not understand.',
    )
    expect(await snapshot(h.root)).toEqual(before)
  })

  it('stops a bomb at the quota, leaving nothing of it', async () => {
    h = await start({ diskLimitBytes: 1024 * 1024 })
    // 32 MiB of zeros packs into a few dozen KiB.
    await writeFile(
      path.join(h.root, 'bomb.tar.gz'),
      tarGz([{ name: 'zeros', data: Buffer.alloc(32 * 1024 * 1024) }]),
    )
    const before = await snapshot(h.root)
    const res = await h.call('POST', '/files/decompress', { root: '/', file: 'bomb.tar.gz' })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe(
      'There is not enough disk space available to perform that action.',
    )
    expect(await snapshot(h.root)).toEqual(before)
  })

  it('stops an extraction that crosses the quota midway, keeping what was there', async () => {
    h = await start({ diskLimitBytes: 256 * 1024 })
    const entries = Array.from({ length: 8 }, (_, i) => ({
      name: `part-${i}`,
      data: Buffer.alloc(64 * 1024, i),
    }))
    await writeFile(path.join(h.root, 'parts.tar.gz'), tarGz(entries))
    const res = await h.call('POST', '/files/decompress', { root: '/', file: 'parts.tar.gz' })
    expect(res.status).toBe(400)
    expect(await readFile(path.join(h.root, 'keep.txt'), 'utf8')).toBe('keep me')
    expect(await h.jail.diskUsage('fresh')).toBeLessThanOrEqual(256 * 1024)
  })

  it('compress leaves a symlink escape out of the archive', async () => {
    h = await start()
    await symlink('../outside', path.join(h.root, 'escape'))
    await symlink('../outside/secret', path.join(h.root, 'secret-link'))
    const res = await h.call('POST', '/files/compress', {
      root: '/',
      files: ['escape', 'secret-link', 'keep.txt'],
    })
    expect(res.status).toBe(200)
    const { name } = (await res.json()) as { name: string }
    await h.call('POST', '/files/create-directory', { name: 'out', path: '/' })
    await h.call('PUT', '/files/rename', { root: '/', files: [{ from: name, to: `out/${name}` }] })
    const extracted = await h.call('POST', '/files/decompress', { root: '/out', file: name })
    expect(extracted.status).toBe(204)
    const tree = await snapshot(path.join(h.root, 'out'))
    delete tree[name]
    expect(tree).toEqual({ 'keep.txt': expect.stringMatching(/^100644:/) as unknown })
  })
})

describe('a decompression bomb on a server without a disk limit', () => {
  it('is stopped by the guard: 10 GiB of concatenated gzip members of zeros, 10 MiB on disk', async () => {
    const h = await start({ diskLimitBytes: 0 })
    try {
      // DEFLATE's best is about 1032:1: each member is 64 MiB of zeros in about 64 KiB.
      const member = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 })
      const out = createWriteStream(path.join(h.root, 'bomb.gz'))
      for (let i = 0; i < 160; i++) if (!out.write(member)) await once(out, 'drain')
      out.end()
      await once(out, 'close')
      const before = await snapshot(h.root)

      const res = await h.call('POST', '/files/decompress', { root: '/', file: 'bomb.gz' })

      expect(res.status).toBe(400)
      expect(((await res.json()) as { error: string }).error).toBe(
        'There is not enough disk space available to perform that action.',
      )
      expect(await snapshot(h.root)).toEqual(before)
    } finally {
      await h.close()
    }
  })
})
