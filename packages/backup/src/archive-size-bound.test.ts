import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { createTarGzStream, Jail } from '@node/filesystem-jail'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { archiveSizeBound, measureTree, tarGzSizeBound } from './archive-size-bound.js'

let dir: string
let jail: Jail

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'size-bound-'))
  const deep = path.join(dir, 'a'.repeat(60), 'b'.repeat(60))
  await mkdir(deep, { recursive: true })
  await writeFile(path.join(dir, 'random.bin'), randomBytes(3 * 1024 * 1024 + 17))
  for (let i = 0; i < 300; i++) await writeFile(path.join(deep, `file-${i}-${'c'.repeat(40)}`), '')
  await writeFile(path.join(dir, 'ignored.bin'), randomBytes(1024 * 1024))
  await symlink('random.bin', path.join(dir, 'link'))
  jail = await Jail.open(dir)
})

afterEach(async () => {
  await jail.close()
  await rm(dir, { recursive: true, force: true })
})

describe('tarGzSizeBound', () => {
  it.each([0, 1, 9])(
    'is never below the archive of incompressible data and long names at gzip level %i',
    async (level) => {
      const ignore = (rel: string): boolean => rel === 'ignored.bin'

      const measure = await measureTree(jail, ignore)
      const archive = Buffer.concat(
        await createTarGzStream(jail, { directory: '', ignore, level }).toArray(),
      )

      expect(measure.entries).toBe(1 + 2 + 300 + 1)
      expect(measure.fileBytes).toBe(3 * 1024 * 1024 + 17)
      expect(archiveSizeBound(measure)).toBeGreaterThanOrEqual(archive.length)
      // Close enough that an S3 backup does not ask for many more part URLs than it uses.
      expect(archiveSizeBound(measure)).toBeLessThan(archive.length * 1.25 + 400 * 1024)
    },
  )

  it('leaves room for the tree to grow while it is archived', async () => {
    const measure = await measureTree(jail, () => false)

    expect(tarGzSizeBound(measure)).toBeGreaterThan(archiveSizeBound(measure) * 1.1)
  })
})
