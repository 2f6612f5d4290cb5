import { randomUUID } from 'node:crypto'
import { readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable, Writable } from 'node:stream'

import { describeBackupStoreContract } from '@node/backup/testing'
import { isDaemonError } from '@node/shared-kernel'
import { createTempDir, type TempDir } from '@node/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { LocalBackupStore } from '@node/storage-local'

describeBackupStoreContract('LocalBackupStore', async () => {
  const temp = await createTempDir('storage-local-')
  const directory = path.join(temp.path, 'backups')
  const store = (): LocalBackupStore => new LocalBackupStore({ directory })
  return {
    store: store(),
    reopen: () => Promise.resolve(store()),
    readBack: (uuid) =>
      readFile(path.join(directory, `${uuid}.tar.gz`)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined
        throw err
      }),
    leftovers: async () =>
      (await readdir(directory).catch(() => [])).filter((name) => !name.endsWith('.tar.gz')),
    keepsArchives: true,
    close: async () => {
      await temp[Symbol.asyncDispose]()
    },
  }
})

describe('LocalBackupStore', () => {
  let temp: TempDir
  let directory: string

  beforeEach(async () => {
    temp = await createTempDir('storage-local-')
    directory = path.join(temp.path, 'backups')
  })

  afterEach(async () => {
    await temp[Symbol.asyncDispose]()
  })

  it('writes <directory>/<uuid>.tar.gz with mode 0600, creating the directory 0700', async () => {
    const uuid = randomUUID()

    await new LocalBackupStore({ directory }).put(uuid, Readable.from([Buffer.from('x')]), {
      signal: AbortSignal.timeout(10_000),
    })

    expect((await stat(path.join(directory, `${uuid}.tar.gz`))).mode & 0o777).toBe(0o600)
    expect((await stat(directory)).mode & 0o777).toBe(0o700)
  })

  it('leaves nothing and the old backup intact when the disk fills up midway', async () => {
    const uuid = randomUUID()
    const store = new LocalBackupStore({ directory })
    await store.put(uuid, Readable.from([Buffer.from('the good one')]), {
      signal: AbortSignal.timeout(10_000),
    })
    let written = 0
    const full = new LocalBackupStore({
      directory,
      writeStream: (handle) =>
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            if (written + chunk.length > 1_000_000) {
              const error = Object.assign(new Error('ENOSPC: no space left on device, write'), {
                code: 'ENOSPC',
              })
              return done(error)
            }
            written += chunk.length
            handle.write(chunk).then(() => done(), done)
          },
        }),
    })

    const failure = await full
      .put(uuid, Readable.from(Array.from({ length: 40 }, () => Buffer.alloc(65_536, 1))), {
        signal: AbortSignal.timeout(10_000),
      })
      .catch((err: unknown) => err)

    expect((failure as NodeJS.ErrnoException).code).toBe('ENOSPC')
    expect(await readdir(directory)).toEqual([`${uuid}.tar.gz`])
    expect(await readFile(path.join(directory, `${uuid}.tar.gz`), 'utf8')).toBe('the good one')
  })

  it('does not take a symlink planted under a backup name for a backup', async () => {
    const uuid = randomUUID()
    const store = new LocalBackupStore({ directory })
    await store.recoverInterrupted()
    await writeFile(path.join(temp.path, 'secret'), 'host file')
    await import('node:fs/promises').then((fs) => fs.mkdir(directory, { recursive: true }))
    await symlink(path.join(temp.path, 'secret'), path.join(directory, `${uuid}.tar.gz`))

    const failure = await store.open(uuid).catch((err: unknown) => err)

    expect(isDaemonError(failure) && failure.code).toBe('NOT_FOUND')
  })

  it('finds nothing to recover when the directory does not exist yet', async () => {
    expect(await new LocalBackupStore({ directory }).recoverInterrupted()).toEqual([])
  })
})
