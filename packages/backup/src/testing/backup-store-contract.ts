import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'

import { isDaemonError } from '@node/shared-kernel'
import { afterEach, describe, expect, it } from 'vitest'

import type { BackupStore, StoredBackup } from '../ports/backup-store.js'

/** A store under test, with what the contract needs to look behind it. */
export interface BackupStoreContractSubject {
  readonly store: BackupStore
  /** Another store on the same backend, as after the daemon restarted. */
  reopen(): Promise<BackupStore>
  /**
   * The bytes the backend holds for `backupUuid` once the Panel has acted on the report of a
   * successful put (S3: the multipart upload completed with `stored.parts`), or without `stored`
   * whatever it holds as it is; undefined when it holds nothing.
   */
  readBack(backupUuid: string, stored?: StoredBackup): Promise<Buffer | undefined>
  /** The store's own working files (temporary, spool, marker files) left on disk. */
  leftovers(): Promise<string[]>
  /** False when open and remove never reach what put stored (S3: the Panel serves and deletes those). */
  readonly keepsArchives: boolean
  /** Releases what the subject holds (servers, temp dirs). */
  close?(): Promise<void>
}

const MiB = 1024 * 1024

/** Behaviour every BackupStore adapter must show; each adapter runs it against its real backend. */
export function describeBackupStoreContract(
  name: string,
  makeSubject: () => Promise<BackupStoreContractSubject>,
): void {
  describe(`${name} (BackupStore contract)`, () => {
    let subject: BackupStoreContractSubject | undefined
    const make = async (): Promise<BackupStoreContractSubject> => (subject = await makeSubject())

    afterEach(async () => {
      await subject?.close?.()
      subject = undefined
    })

    it('stores the bytes it was given and reports their size and sha1', async () => {
      const { store, readBack, leftovers } = await make()
      const uuid = randomUUID()

      const stored = await store.put(
        uuid,
        Readable.from([Buffer.from('hello '), Buffer.from('world')]),
        {
          signal: AbortSignal.timeout(30_000),
          maxSizeBytes: () => Promise.resolve(64 * 1024),
        },
      )

      expect(stored.sizeBytes).toBe(11)
      expect(stored.sha1).toBe('2aae6c35c94fcfb415dbe95f408b9ce91ee846ed')
      expect((await readBack(uuid, stored))?.toString()).toBe('hello world')
      expect(await leftovers()).toEqual([])
    })

    it('stores an archive of many megabytes byte for byte', async () => {
      const { store, readBack } = await make()
      const uuid = randomUUID()
      const data = randomBytes(13 * MiB + 12_345)

      const stored = await store.put(uuid, chunked(data, 64 * 1024), {
        signal: AbortSignal.timeout(60_000),
        maxSizeBytes: () => Promise.resolve(data.length + MiB),
      })

      expect(stored.sizeBytes).toBe(data.length)
      expect(stored.sha1).toBe(createHash('sha1').update(data).digest('hex'))
      expect((await readBack(uuid, stored))?.equals(data)).toBe(true)
    })

    it('keeps two backups written at once apart', async () => {
      const { store, readBack } = await make()
      const [a, b] = [randomUUID(), randomUUID()]
      const [dataA, dataB] = [randomBytes(3 * MiB), randomBytes(2 * MiB + 7)]
      const put = (uuid: string, data: Buffer): Promise<StoredBackup> =>
        store.put(uuid, chunked(data, 100_000), {
          signal: AbortSignal.timeout(60_000),
          maxSizeBytes: () => Promise.resolve(data.length),
        })

      const [storedA, storedB] = await Promise.all([put(a, dataA), put(b, dataB)])

      expect((await readBack(a, storedA))?.equals(dataA)).toBe(true)
      expect((await readBack(b, storedB))?.equals(dataB)).toBe(true)
    })

    it.each(['not-a-uuid', '../../etc/passwd', randomUUID().toUpperCase(), ''])(
      'refuses the backup name %j before reading anything',
      async (uuid) => {
        const { store, leftovers } = await make()
        const archive = Readable.from([Buffer.from('x')])

        const failure = await store
          .put(uuid, archive, { signal: AbortSignal.timeout(10_000) })
          .catch((err: unknown) => err)

        expect(isDaemonError(failure) && failure.code).toBe('BAD_REQUEST')
        expect(archive.readableDidRead).toBe(false)
        expect(await leftovers()).toEqual([])
      },
    )

    it('leaves nothing behind when the archive fails midway', async () => {
      const { store, readBack, leftovers } = await make()
      const uuid = randomUUID()
      const broken = new Error('disk read error')

      const failure = await store
        .put(uuid, failingAfter(6 * MiB, broken), {
          signal: AbortSignal.timeout(30_000),
          maxSizeBytes: () => Promise.resolve(64 * MiB),
        })
        .catch((err: unknown) => err)

      expect(failure).toBe(broken)
      expect(await readBack(uuid)).toBeUndefined()
      expect(await leftovers()).toEqual([])
    })

    it('leaves nothing behind when the put is aborted', async () => {
      const { store, readBack, leftovers } = await make()
      const uuid = randomUUID()
      const controller = new AbortController()
      const archive = endless(() => {
        if (archive.bytes > 5 * MiB) controller.abort(new Error('server deleted'))
      })

      const failure = await store
        .put(uuid, archive.stream, {
          signal: controller.signal,
          maxSizeBytes: () => Promise.resolve(1024 * MiB),
        })
        .catch((err: unknown) => err)

      expect(failure).toBeInstanceOf(Error)
      expect(await readBack(uuid)).toBeUndefined()
      expect(await leftovers()).toEqual([])
    })

    it('replaces a backup written again under the same uuid', async () => {
      const { store, readBack } = await make()
      const uuid = randomUUID()
      await store.put(uuid, Readable.from([Buffer.from('first')]), {
        signal: AbortSignal.timeout(10_000),
        maxSizeBytes: () => Promise.resolve(1024),
      })

      const stored = await store.put(uuid, Readable.from([Buffer.from('second')]), {
        signal: AbortSignal.timeout(10_000),
        maxSizeBytes: () => Promise.resolve(1024),
      })

      expect((await readBack(uuid, stored))?.toString()).toBe('second')
    })

    it('after a restart, names the puts a crash cut short and removes what they left', async () => {
      const { store, reopen, readBack, leftovers } = await make()
      const uuid = randomUUID()
      const controller = new AbortController()
      let started: () => void = () => undefined
      const running = new Promise<void>((resolve) => (started = resolve))
      const archive = endless(() => {
        if (archive.bytes > 2 * MiB) started()
      }, 10)
      const put = store
        .put(uuid, archive.stream, {
          signal: controller.signal,
          maxSizeBytes: () => Promise.resolve(1024 * MiB),
        })
        .catch(() => undefined)
      await running

      const restarted = await reopen()
      const interrupted = await restarted.recoverInterrupted()
      controller.abort()
      await put

      expect(interrupted).toEqual([uuid])
      expect(await restarted.recoverInterrupted()).toEqual([])
      expect(await readBack(uuid)).toBeUndefined()
      expect(await leftovers()).toEqual([])
    })

    it('finds nothing to recover where no put was cut short', async () => {
      const { store, reopen } = await make()
      await store.put(randomUUID(), Readable.from([Buffer.from('done')]), {
        signal: AbortSignal.timeout(10_000),
        maxSizeBytes: () => Promise.resolve(1024),
      })

      expect(await (await reopen()).recoverInterrupted()).toEqual([])
    })

    it('answers open and remove of an unknown backup with NOT_FOUND', async () => {
      const { store } = await make()

      const opened = await store.open(randomUUID()).catch((err: unknown) => err)
      const removed = await store.remove(randomUUID()).catch((err: unknown) => err)

      expect(isDaemonError(opened) && opened.code).toBe('NOT_FOUND')
      expect(isDaemonError(removed) && removed.code).toBe('NOT_FOUND')
    })

    it('opens a stored backup with its size, and removes it for good', async () => {
      const { store, keepsArchives } = await make()
      const uuid = randomUUID()
      const data = randomBytes(MiB + 3)
      await store.put(uuid, chunked(data, 65_536), {
        signal: AbortSignal.timeout(30_000),
        maxSizeBytes: () => Promise.resolve(2 * MiB),
      })

      const opened = await store.open(uuid).catch((err: unknown) => err)
      const body = isDaemonError(opened)
        ? undefined
        : Buffer.concat(await (opened as { stream: Readable }).stream.toArray())
      await store.remove(uuid).catch(() => undefined)
      const reopened = await store.open(uuid).catch((err: unknown) => err)

      if (keepsArchives) {
        expect((opened as { sizeBytes: number }).sizeBytes).toBe(data.length)
        expect(body?.equals(data)).toBe(true)
      } else {
        expect(isDaemonError(opened) && opened.code).toBe('NOT_FOUND')
      }
      expect(isDaemonError(reopened) && reopened.code).toBe('NOT_FOUND')
    })
  })
}

function chunked(data: Buffer, size: number): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
    })(),
  )
}

function failingAfter(bytes: number, error: Error): Readable {
  return Readable.from(
    (async function* () {
      const chunk = randomBytes(256 * 1024)
      for (let sent = 0; sent < bytes; sent += chunk.length) {
        yield chunk
        await Promise.resolve()
      }
      throw error
    })(),
  )
}

/** An archive that never ends; `onChunk` runs after each chunk is handed out. */
function endless(onChunk: () => void, delayMs = 0): { stream: Readable; bytes: number } {
  const state = { bytes: 0, stream: undefined as unknown as Readable }
  const chunk = randomBytes(256 * 1024)
  state.stream = Readable.from(
    (async function* () {
      for (;;) {
        yield chunk
        state.bytes += chunk.length
        onChunk()
        await new Promise((resolve) => setTimeout(resolve, delayMs))
      }
    })(),
  )
  return state
}
