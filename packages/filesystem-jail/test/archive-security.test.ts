// Archives under attack, and round trips: each attack asserts that nothing outside the root was
// read, written or deleted, that nothing inside was lost, and what the caller saw.
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { crc32, deflateRawSync, gzipSync, zstdCompressSync } from 'node:zlib'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { compressFiles, decompressArchive, Jail, createTarGzStream } from '@node/filesystem-jail'

import { type Arena, createArena, outcome, run, snapshot } from './fixtures.js'

const UNKNOWN = {
  code: 'BAD_REQUEST',
  message: 'The archive provided is in a format Wings does not understand.',
}
const QUOTA = {
  code: 'QUOTA_EXCEEDED',
  message: 'There is not enough disk space available to perform that action.',
}

/** Runs a Python tarfile script building `name` in `dir` (hostile headers tar(1) will not write). */
async function pythonTar(dir: string, name: string, body: string, mode = 'w'): Promise<string> {
  const file = path.join(dir, name)
  const script = `import tarfile, io, sys\nt = tarfile.open(sys.argv[1], '${mode}')\ndef add(name, data=b'', **kw):\n    i = tarfile.TarInfo(name)\n    i.size = len(data)\n    for k, v in kw.items(): setattr(i, k, v)\n    t.addfile(i, io.BytesIO(data) if data else None)\n${body}\nt.close()\n`
  await run('python3', ['-c', script, file])
  return file
}

describe('archives in the jail', () => {
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

  async function expectOutsideIntact(): Promise<void> {
    expect(await snapshot(arena.outside)).toEqual(outsideBefore)
    expect(await readdir(arena.dir)).toEqual(['outside', 'root'])
  }

  async function placeArchive(file: string, name = 'a.tar'): Promise<string> {
    await writeFile(path.join(arena.root, name), await readFile(file))
    await rm(file)
    return name
  }

  it('round-trips a tree: compress, then decompress elsewhere, identical', async () => {
    await mkdir(path.join(arena.root, 'src/world/region'), { recursive: true })
    await mkdir(path.join(arena.root, 'src/empty'))
    await writeFile(path.join(arena.root, 'src/server.properties'), 'motd=hi\n', { mode: 0o640 })
    await writeFile(path.join(arena.root, 'src/world/region/r.0.0.mca'), Buffer.alloc(2_500_000, 7))
    const long = `${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(120)}.txt`
    await mkdir(path.join(arena.root, 'src', path.dirname(long)), { recursive: true })
    await writeFile(path.join(arena.root, 'src', long), 'long name')
    await writeFile(path.join(arena.root, 'src/ünïcode ✓.txt'), 'utf8')
    let progress = 0
    const { path: archive } = await compressFiles(jail, {
      directory: 'src',
      files: ['server.properties', 'world', 'empty', long.split('/')[0]!, 'ünïcode ✓.txt'],
      onProgress: (n) => (progress = n),
    })
    expect(archive).toMatch(/^src\/archive-\d{4}-\d\d-\d\dT\d{6}(Z|[+-]\d{4})\.tar\.gz$/)
    expect(progress).toBe(8 + 2_500_000 + 9 + 4)
    // tar(1) reads it.
    const { stdout } = await run('tar', ['-tzf', path.join(arena.root, archive)])
    expect(stdout.split('\n')).toContain('world/region/r.0.0.mca')
    expect(stdout.split('\n')).toContain(long)

    await jail.mkdirp('dst')
    await jail.rename(archive, 'dst/a.tar.gz')
    const result = await decompressArchive(jail, { directory: 'dst', file: 'dst/a.tar.gz' })
    expect(result.skipped).toBe(0)
    await jail.remove('dst/a.tar.gz')
    expect(await snapshot(path.join(arena.root, 'dst'))).toEqual(
      await snapshot(path.join(arena.root, 'src')),
    )
    await expectOutsideIntact()
  })

  it('streams a subtree with an ignore filter', async () => {
    await mkdir(path.join(arena.root, 'logs'))
    await writeFile(path.join(arena.root, 'logs/latest.log'), 'log')
    await writeFile(path.join(arena.root, 'keep.txt'), 'keep')
    const chunks: Buffer[] = []
    for await (const chunk of createTarGzStream(jail, {
      directory: '/',
      ignore: (rel) => rel === 'logs',
    })) {
      chunks.push(chunk as Buffer)
    }
    const file = path.join(arena.dir, 'backup.tar.gz')
    await writeFile(file, Buffer.concat(chunks))
    const { stdout } = await run('tar', ['-tzf', file])
    expect(stdout.trim().split('\n')).toEqual(['keep.txt'])
    await run('rm', [file])
  })

  it('extracts tar(1) archives: gzip, zstd, plain, and a single .gz file', async () => {
    const tree = path.join(arena.dir, 'tree')
    await mkdir(path.join(tree, 'a/b'), { recursive: true })
    await writeFile(path.join(tree, 'a/b/c.txt'), 'ccc')
    await writeFile(path.join(tree, 'top.txt'), 'top')
    const build = async (flag: string, name: string): Promise<void> => {
      await run('tar', [flag, '-cf', path.join(arena.root, name), '-C', tree, '.'])
    }
    await build('-z', 'x.tgz')
    await build('--zstd', 'x.tar.zst')
    await build('--no-auto-compress', 'x.bin') // plain tar under a misleading name
    for (const [dir, name] of [
      ['g', 'x.tgz'],
      ['z', 'x.tar.zst'],
      ['p', 'x.bin'],
    ] as const) {
      await decompressArchive(jail, { directory: dir, file: name })
      expect(await readFile(path.join(arena.root, dir, 'a/b/c.txt'), 'utf8')).toBe('ccc')
      expect(await readFile(path.join(arena.root, dir, 'top.txt'), 'utf8')).toBe('top')
    }
    await writeFile(path.join(arena.root, 'notes.txt'), 'plain')
    await run('gzip', [path.join(arena.root, 'notes.txt')])
    await decompressArchive(jail, { directory: '', file: 'notes.txt.gz' })
    expect(await readFile(path.join(arena.root, 'notes.txt'), 'utf8')).toBe('plain')
    await run('rm', ['-r', tree])
    await expectOutsideIntact()
  })

  it('extracts a zip made by the zip tool, and skips its symlinks', async () => {
    const src = path.join(arena.root, 'zsrc')
    await mkdir(path.join(src, 'plugins'), { recursive: true })
    await writeFile(path.join(src, 'plugins/a.yml'), 'a: 1\n')
    await writeFile(path.join(src, 'big.bin'), Buffer.alloc(300_000, 3))
    await symlink('/etc/passwd', path.join(src, 'passwd-link'))
    await run('sh', ['-c', `cd ${src} && zip -q -r -y ../tool.zip .`])

    const result = await decompressArchive(jail, { directory: 'zout', file: 'tool.zip' })

    expect(await readFile(path.join(arena.root, 'zout/plugins/a.yml'), 'utf8')).toBe('a: 1\n')
    expect(
      (await readFile(path.join(arena.root, 'zout/big.bin'))).equals(Buffer.alloc(300_000, 3)),
    ).toBe(true)
    await expect(readFile(path.join(arena.root, 'zout/passwd-link'))).rejects.toThrow('ENOENT')
    expect(result.skipped).toBe(1)
    await expectOutsideIntact()
  })

  it('refuses unknown formats by content with the spec message', async () => {
    await writeFile(path.join(arena.root, 'f.txt'), 'just text, not an archive')
    await run('bzip2', ['-k', path.join(arena.root, 'f.txt')])
    await writeFile(path.join(arena.root, 'fake.tar.gz'), 'not gzip at all')
    // A zip whose central directory is cut off is the same 400.
    await writeFile(path.join(arena.root, 'cut.zip'), Buffer.from('PK\u0003\u0004 truncated'))
    for (const file of ['cut.zip', 'f.txt.bz2', 'fake.tar.gz', 'f.txt']) {
      expect(await outcome(decompressArchive(jail, { directory: 'out', file }))).toMatchObject(
        UNKNOWN,
      )
    }
    // A corrupt gzip stream is the same 400.
    const good = await run('sh', ['-c', `printf 'hello' | gzip -c | base64 -w0`])
    const bytes = Buffer.from(good.stdout, 'base64')
    await writeFile(
      path.join(arena.root, 'bad.gz'),
      Buffer.concat([bytes.subarray(0, 12), Buffer.alloc(20, 0xff)]),
    )
    expect(await outcome(decompressArchive(jail, { directory: '', file: 'bad.gz' }))).toMatchObject(
      UNKNOWN,
    )
    expect(await readdir(arena.root)).not.toContain('bad')
    await expectOutsideIntact()
  })

  it('zip-slip/tar-slip: absolute paths, .. and links pointing out are refused', async () => {
    await writeFile(path.join(arena.root, 'precious.txt'), 'keep me')
    const outside = arena.outside
    const file = await pythonTar(
      arena.dir,
      'evil.tar',
      [
        `add('../outside/victim.txt', b'pwned')`,
        `add('a/../../outside/victim.txt', b'pwned')`,
        `add('${outside}/victim.txt', b'pwned')`,
        `add('/precious.txt', b'pwned')`,
        `add('escape', type=tarfile.SYMTYPE, linkname='${outside}')`,
        `add('escape/victim.txt', b'pwned')`,
        `add('rel', type=tarfile.SYMTYPE, linkname='../outside')`,
        `add('rel/new.txt', b'pwned')`,
        `add('hard', type=tarfile.LNKTYPE, linkname='${outside}/secret.txt')`,
        `add('hard2', type=tarfile.LNKTYPE, linkname='precious.txt')`,
        `add('dev', type=tarfile.CHRTYPE, devmajor=1, devminor=3)`,
        `add('fifo', type=tarfile.FIFOTYPE)`,
        `add('ok/fine.txt', b'fine')`,
      ].join('\n'),
    )
    const name = await placeArchive(file)
    const result = await decompressArchive(jail, { directory: '', file: name })
    expect(result.skipped).toBe(10)
    expect(await readFile(path.join(arena.root, 'precious.txt'), 'utf8')).toBe('keep me')
    expect(await readFile(path.join(arena.root, 'ok/fine.txt'), 'utf8')).toBe('fine')
    // 'escape/victim.txt' and 'rel/new.txt' land as plain files inside, not through a link.
    expect((await readdir(arena.root)).sort()).toEqual(
      ['a.tar', 'escape', 'ok', 'precious.txt', 'rel'].sort(),
    )
    expect(await readFile(path.join(arena.root, 'escape/victim.txt'), 'utf8')).toBe('pwned')
    await expectOutsideIntact()
  })

  it('refuses a directory or a name that climbs out, before writing anything', async () => {
    await mkdir(path.join(arena.root, 'data'))
    await writeFile(path.join(arena.root, 'keep.txt'), 'keep me')
    await placeArchive(await pythonTar(arena.dir, 'a.tar', `add('x', b'x')`), 'data/a.tar')
    const before = await snapshot(arena.root)
    const NOT_FOUND = { code: 'NOT_FOUND', reason: 'outside_root' }

    expect(
      await outcome(compressFiles(jail, { directory: '../', files: ['keep.txt'] })),
    ).toMatchObject(NOT_FOUND)
    expect(
      await outcome(compressFiles(jail, { directory: 'data', files: ['../keep.txt'] })),
    ).toMatchObject(NOT_FOUND)
    expect(
      await outcome(compressFiles(jail, { directory: '', files: ['a', '../../x'] })),
    ).toMatchObject(NOT_FOUND)
    expect(
      await outcome(decompressArchive(jail, { directory: '../..', file: 'data/a.tar' })),
    ).toMatchObject(NOT_FOUND)

    expect(await snapshot(arena.root)).toEqual(before)
    await expectOutsideIntact()
  })

  it('a symlink already in the root pointing out is not followed by an entry', async () => {
    await run('ln', ['-s', arena.outside, path.join(arena.root, 'link')])
    const file = await pythonTar(arena.dir, 'e.tar', `add('link/victim.txt', b'pwned')`)
    const name = await placeArchive(file)
    expect(await outcome(decompressArchive(jail, { directory: '', file: name }))).not.toBe('ok')
    await expectOutsideIntact()
  })

  it('stops a bomb by the ratio guard and by the quota mid-extract, leaving no partial file', async () => {
    const file = path.join(arena.root, 'bomb.tar.gz')
    // 200 MiB of zeros in one entry: ~200 KiB compressed.
    await run('sh', [
      '-c',
      `python3 -c "import tarfile,io,sys
t=tarfile.open(sys.argv[1],'w|gz')
i=tarfile.TarInfo('zeros.bin'); i.size=200*1024*1024
class Z(io.RawIOBase):
  def readinto(self,b):
    b[:]=bytes(len(b)); return len(b)
  def readable(self): return True
t.addfile(i, io.BufferedReader(Z())); t.close()" ${file}`,
    ])
    expect(
      await outcome(
        decompressArchive(jail, {
          directory: 'x',
          file: 'bomb.tar.gz',
          maxRatio: 100,
          ratioGraceBytes: 1024 * 1024,
        }),
      ),
    ).toMatchObject(QUOTA)
    expect(await readdir(path.join(arena.root, 'x')).catch(() => [])).toEqual([])

    await jail.close()
    jail = await Jail.open(arena.root, { diskCheckIntervalMs: 0, diskLimitBytes: 50 * 1024 * 1024 })
    await writeFile(path.join(arena.root, 'keep.txt'), 'inside')
    expect(
      await outcome(decompressArchive(jail, { directory: 'y', file: 'bomb.tar.gz' })),
    ).toMatchObject(QUOTA)
    expect(await readdir(path.join(arena.root, 'y')).catch(() => [])).toEqual([])
    expect(await readFile(path.join(arena.root, 'keep.txt'), 'utf8')).toBe('inside')
    expect(jail.quota.reservedBytes).toBe(0)
    await expectOutsideIntact()
  })

  describe('bombs on a jail without a disk limit, with the default guard', () => {
    const MEMBER = 64 * 1024 * 1024
    const zeros = Buffer.alloc(MEMBER)

    /** `count` copies of one compressed member, written without holding the whole file. */
    async function repeat(
      name: string,
      head: Buffer,
      member: Buffer,
      count: number,
    ): Promise<void> {
      const out = createWriteStream(path.join(arena.root, name))
      out.write(head)
      for (let i = 0; i < count; i++) if (!out.write(member)) await once(out, 'drain')
      out.end()
      await once(out, 'close')
    }

    function tarHeader(name: string, size: number): Buffer {
      const header = Buffer.alloc(512)
      header.write(name, 0)
      header.write('0000644\0', 100)
      header.write('0000000\0', 108)
      header.write('0000000\0', 116)
      header.write(`${size.toString(8).padStart(11, '0')}\0`, 124)
      header.write('00000000000\0', 136)
      header.write('        ', 148)
      header.write('0', 156)
      header.write('ustar\x0000', 257)
      let sum = 0
      for (const byte of header) sum += byte
      header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
      return header
    }

    async function expectStopped(file: string, before: string[]): Promise<void> {
      const result = await outcome(decompressArchive(jail, { directory: '', file }))

      expect(result).toMatchObject(QUOTA)
      expect((await readdir(arena.root)).sort()).toEqual(before)
      expect(jail.quota.reservedBytes).toBe(0)
      await expectOutsideIntact()
    }

    it('stops 10 GiB of concatenated gzip members of zeros (10 MiB on disk)', async () => {
      // DEFLATE's best is about 1032:1: each member is 64 MiB of zeros in about 64 KiB.
      await repeat('bomb.gz', Buffer.alloc(0), gzipSync(zeros, { level: 9 }), 160)

      await expectStopped('bomb.gz', ['bomb.gz'])
    })

    it('stops the same inside a tar entry declaring 10 GiB', async () => {
      const member = gzipSync(zeros, { level: 9 })
      const head = gzipSync(tarHeader('zeros.bin', 160 * MEMBER))
      await repeat('bomb.tar.gz', head, member, 160)

      await expectStopped('bomb.tar.gz', ['bomb.tar.gz'])
    })

    it('stops 10 GiB of concatenated zstd frames of zeros', async () => {
      await repeat('bomb.zst', Buffer.alloc(0), zstdCompressSync(zeros), 160)

      await expectStopped('bomb.zst', ['bomb.zst'])
    })

    it('stops a zip whose deflated entries declare 1 GiB, before writing them', async () => {
      const entry = deflateRawSync(zeros, { level: 9 })
      const count = 16
      const locals: Buffer[] = []
      const centrals: Buffer[] = []
      let offset = 0
      const crc = crc32(zeros)
      for (let i = 0; i < count; i++) {
        const name = Buffer.from(`z${i}.bin`)
        const local = Buffer.alloc(30)
        local.writeUInt32LE(0x04034b50, 0)
        local.writeUInt16LE(20, 4)
        local.writeUInt16LE(8, 8)
        local.writeUInt32LE(crc, 14)
        local.writeUInt32LE(entry.length, 18)
        local.writeUInt32LE(MEMBER, 22)
        local.writeUInt16LE(name.length, 26)
        const central = Buffer.alloc(46)
        central.writeUInt32LE(0x02014b50, 0)
        central.writeUInt16LE(20, 4)
        central.writeUInt16LE(20, 6)
        central.writeUInt16LE(8, 10)
        central.writeUInt32LE(crc, 16)
        central.writeUInt32LE(entry.length, 20)
        central.writeUInt32LE(MEMBER, 24)
        central.writeUInt16LE(name.length, 28)
        central.writeUInt32LE(offset, 42)
        locals.push(local, name, entry)
        centrals.push(central, name)
        offset += local.length + name.length + entry.length
      }
      const directory = Buffer.concat(centrals)
      const end = Buffer.alloc(22)
      end.writeUInt32LE(0x06054b50, 0)
      end.writeUInt16LE(count, 8)
      end.writeUInt16LE(count, 10)
      end.writeUInt32LE(directory.length, 12)
      end.writeUInt32LE(offset, 16)
      await writeFile(path.join(arena.root, 'bomb.zip'), Buffer.concat([...locals, directory, end]))

      await expectStopped('bomb.zip', ['bomb.zip'])
    })
  })

  it('a quota stop among many small files leaves no temporary file and no reservation', async () => {
    await jail.close()
    jail = await Jail.open(arena.root, { diskCheckIntervalMs: 0, diskLimitBytes: 1024 * 1024 })
    const file = await pythonTar(
      arena.dir,
      'many.tar',
      `for n in range(60):\n    add('d/f%02d.bin' % n, bytes([n]) * 100_000)`,
    )
    const name = await placeArchive(file)
    expect(await outcome(decompressArchive(jail, { directory: 'x', file: name }))).toMatchObject(
      QUOTA,
    )
    const left = await readdir(path.join(arena.root, 'x/d'))
    expect(left.filter((n) => n.startsWith('.jail-'))).toEqual([])
    for (const n of left)
      expect((await readFile(path.join(arena.root, 'x/d', n))).length).toBe(100_000)
    expect(jail.quota.reservedBytes).toBe(0)
    await expectOutsideIntact()
  })

  it('skips denylisted entries silently', async () => {
    await jail.close()
    jail = await Jail.open(arena.root, { diskCheckIntervalMs: 0, denylist: ['*.jar'] })
    const file = await pythonTar(arena.dir, 'd.tar', `add('server.jar', b'x')\nadd('ok.txt', b'y')`)
    const name = await placeArchive(file)
    const result = await decompressArchive(jail, { directory: '', file: name })
    expect(result).toEqual({ written: 1, skipped: 1 })
    expect((await readdir(arena.root)).sort()).toEqual(['a.tar', 'ok.txt'])
  })
})
