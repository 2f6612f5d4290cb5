import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'

import { CreateBackup } from '@node/backup'
import { describeBackupStoreContract } from '@node/backup/testing'
import { Jail } from '@node/filesystem-jail'
import { ServerEventBus, type BackupCompleted } from '@node/server-state'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { PartRejectedError, type S3BackupStore } from '@node/storage-s3'

import { PART_SIZE, S3Harness, SERVER } from './support/s3-harness.js'

const MiB = 1024 * 1024

describeBackupStoreContract('S3BackupStore (parts in memory)', async () =>
  (await S3Harness.start()).subject(),
)

describeBackupStoreContract('S3BackupStore (parts spooled to disk)', async () =>
  (await S3Harness.start()).subject({ spoolThresholdBytes: MiB }),
)

function chunked(data: Buffer, size = 256 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
    })(),
  )
}

describe('S3BackupStore', () => {
  let harness: S3Harness

  beforeEach(async () => {
    harness = await S3Harness.start()
  })

  afterEach(async () => {
    await harness.close()
  })

  async function put(store: S3BackupStore, uuid: string, data: Buffer) {
    return store.put(uuid, chunked(data), {
      signal: AbortSignal.timeout(30_000),
      maxSizeBytes: () => Promise.resolve(data.length + 4 * PART_SIZE),
    })
  }

  async function complete(uuid: string, stored: Awaited<ReturnType<typeof put>>): Promise<void> {
    await harness.panel.setBackupStatus(uuid, {
      checksum: stored.sha1,
      checksumType: 'sha1',
      size: stored.sizeBytes,
      successful: true,
      parts: stored.parts,
    })
  }

  it('uploads full parts as the archive comes, reports only the parts used, ETags verbatim', async () => {
    const uuid = randomUUID()
    const data = randomBytes(2 * PART_SIZE + 1234)

    const stored = await put(harness.store(), uuid, data)
    await complete(uuid, stored)

    expect(harness.proxy.parts).toEqual([
      { partNumber: 1, contentLength: PART_SIZE, contentType: 'application/x-gzip' },
      { partNumber: 2, contentLength: PART_SIZE, contentType: 'application/x-gzip' },
      { partNumber: 3, contentLength: 1234, contentType: 'application/x-gzip' },
    ])
    expect(stored.parts?.map((p) => p.partNumber)).toEqual([1, 2, 3])
    for (const part of stored.parts ?? []) expect(part.etag).toMatch(/^"[0-9a-f]{32}"$/)
    expect(harness.sim.backup(uuid).isSuccessful).toBe(true)
    expect((await harness.object(uuid))?.equals(data)).toBe(true)
  })

  it('asks the Panel for parts of the announced bound, not of the archive', async () => {
    const uuid = randomUUID()

    await put(harness.store(), uuid, randomBytes(1000))

    const asked = harness.sim.callsTo('/api/remote/backups/*', 'GET')
    expect(asked.map((c) => c.query['size'])).toEqual([String(1000 + 4 * PART_SIZE)])
  })

  it('retries a part answered 503 from its first byte, and the object comes out whole', async () => {
    const uuid = randomUUID()
    const data = randomBytes(PART_SIZE + 77)
    harness.proxy.fault = (part, attempt) =>
      part.partNumber === 1 && attempt <= 2 ? { status: 503 } : 'pass'

    const stored = await put(harness.store(), uuid, data)
    await complete(uuid, stored)

    expect(harness.proxy.parts.map((p) => p.partNumber).sort()).toEqual([1, 1, 1, 2])
    expect((await harness.object(uuid))?.equals(data)).toBe(true)
  })

  it('retries a part whose connection was reset, from a spooled copy as well', async () => {
    const uuid = randomUUID()
    const data = randomBytes(PART_SIZE + 77)
    harness.proxy.fault = (part, attempt) =>
      part.partNumber === 1 && attempt === 1 ? 'reset' : 'pass'

    const stored = await put(harness.store({ spoolThresholdBytes: MiB }), uuid, data)
    await complete(uuid, stored)

    expect(stored.sha1).toBe(createHash('sha1').update(data).digest('hex'))
    expect((await harness.object(uuid))?.equals(data)).toBe(true)
    expect(await readdir(harness.spool)).toEqual([])
  })

  it('fails at once on a 403, never retrying it, and leaves nothing behind', async () => {
    const uuid = randomUUID()
    harness.proxy.fault = (part) => (part.partNumber === 2 ? { status: 403 } : 'pass')

    const failure = await put(
      harness.store({ spoolThresholdBytes: MiB }),
      uuid,
      randomBytes(3 * PART_SIZE),
    ).catch((err: unknown) => err)

    expect(failure).toBeInstanceOf(PartRejectedError)
    expect((failure as PartRejectedError).status).toBe(403)
    expect((failure as Error).message).not.toMatch(/Signature|X-Amz|https?:/)
    expect(harness.proxy.parts.filter((p) => p.partNumber === 2)).toHaveLength(1)
    expect(await readdir(harness.spool)).toEqual([])
  })

  it('gives up on a part that keeps answering 5xx', async () => {
    const uuid = randomUUID()
    harness.proxy.fault = () => ({ status: 500 })

    const failure = await put(
      harness.store({ retry: { initialDelayMs: 5, maxElapsedMs: 200 } }),
      uuid,
      randomBytes(1000),
    ).catch((err: unknown) => err)

    expect((failure as Error).message).toMatch(/HTTP 500/)
    expect(harness.proxy.parts.length).toBeGreaterThan(1)
    expect(await readdir(harness.spool)).toEqual([])
  })

  it('fails when the archive outgrows the size announced to the Panel', async () => {
    const uuid = randomUUID()

    const failure = await harness
      .store()
      .put(uuid, chunked(randomBytes(PART_SIZE + 10)), {
        signal: AbortSignal.timeout(30_000),
        maxSizeBytes: () => Promise.resolve(PART_SIZE),
      })
      .catch((err: unknown) => err)

    expect((failure as Error).message).toMatch(/outgrew/)
    expect(await readdir(harness.spool)).toEqual([])
  })

  it('keeps memory and disk to the parts in flight: never the whole archive spooled', async () => {
    const uuid = randomUUID()
    let mostSpooled = 0
    harness.proxy.onPart = async () => {
      let bytes = 0
      for (const name of await readdir(harness.spool)) {
        bytes += (await stat(path.join(harness.spool, name)).catch(() => ({ size: 0 }))).size
      }
      mostSpooled = Math.max(mostSpooled, bytes)
    }
    const data = randomBytes(8 * PART_SIZE)

    const stored = await put(
      harness.store({ spoolThresholdBytes: MiB, partsInFlight: 2 }),
      uuid,
      data,
    )

    expect(stored.parts).toHaveLength(8)
    expect(mostSpooled).toBeGreaterThan(0)
    expect(mostSpooled).toBeLessThanOrEqual(3 * PART_SIZE)
  })
})

describe('CreateBackup to S3 through panel-sim', () => {
  let harness: S3Harness
  let dir: string
  let jail: Jail

  beforeEach(async () => {
    harness = await S3Harness.start()
    dir = await mkdtemp(path.join(tmpdir(), 's3-backup-root-'))
    await mkdir(path.join(dir, 'world'))
    await writeFile(path.join(dir, 'world/level.dat'), randomBytes(6 * MiB))
    await writeFile(path.join(dir, 'server.properties'), 'motd=s3\n')
    jail = await Jail.open(dir)
  })

  afterEach(async () => {
    await jail.close()
    await rm(dir, { recursive: true, force: true })
    await harness.close()
  })

  async function backup(uuid: string): Promise<{ ok: boolean; completed: BackupCompleted[] }> {
    harness.sim.addBackup(SERVER, { uuid, disk: 's3' })
    const events = new ServerEventBus()
    const completed: BackupCompleted[] = []
    events.subscribe('backup completed', (c) => completed.push(c))
    const outcome = await new CreateBackup({ panel: harness.panel }).execute({
      backupUuid: uuid,
      ignore: '',
      jail,
      events,
      store: harness.store({ spoolThresholdBytes: MiB }),
    })
    return { ok: outcome.successful, completed }
  }

  it('ends in a completed S3 object the Panel marks successful, with the archive checksum', async () => {
    const uuid = randomUUID()

    const { ok, completed } = await backup(uuid)

    const object = (await harness.object(uuid))!
    const sha1 = createHash('sha1').update(object).digest('hex')
    expect(ok).toBe(true)
    expect(harness.sim.backup(uuid)).toMatchObject({
      isSuccessful: true,
      checksum: `sha1:${sha1}`,
      bytes: object.length,
    })
    expect(completed).toEqual([
      { uuid, isSuccessful: true, checksum: sha1, checksumType: 'sha1', fileSize: object.length },
    ])
  })

  it('ends in the failure report when S3 refuses a part with 403', async () => {
    const uuid = randomUUID()
    harness.proxy.fault = () => ({ status: 403 })

    const { ok, completed } = await backup(uuid)

    expect(ok).toBe(false)
    expect(harness.sim.backup(uuid)).toMatchObject({ isSuccessful: false, bytes: 0 })
    expect(harness.sim.backup(uuid).completedAt).not.toBeNull()
    expect(completed.map((c) => c.isSuccessful)).toEqual([false])
    expect(await harness.object(uuid)).toBeUndefined()
    expect(await readdir(harness.spool)).toEqual([])
  })

  it('never reports success when the Panel is down at the end: no object is completed', async () => {
    const uuid = randomUUID()
    harness.sim.failNext({
      path: '/api/remote/backups/*',
      method: 'POST',
      status: 503,
      times: 1000,
    })

    const { ok, completed } = await backup(uuid)

    expect(ok).toBe(false)
    expect(harness.sim.backup(uuid)).toMatchObject({ isSuccessful: false, completedAt: null })
    expect(completed.map((c) => c.isSuccessful)).toEqual([false])
    expect(await harness.object(uuid)).toBeUndefined()
  })
})
