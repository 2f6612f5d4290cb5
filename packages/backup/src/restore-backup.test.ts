import {
  chmod,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'

import { createTarGzStream, extractTarGz, Jail } from '@node/filesystem-jail'
import { Server, type ServerEvent } from '@node/server-state'
import { buildServerConfiguration, InMemoryPanelGateway } from '@node/server-state/testing'
import { isDaemonError, TimeoutError } from '@node/shared-kernel'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { describeTree } from '../test/support/trees.js'
import { BACKUP_MESSAGES } from './backup-messages.js'
import {
  RESTORE_STOP_TIMEOUT_MS,
  RestoreBackup,
  type ArchiveExtractor,
  type RestoreRequest,
} from './restore-backup.js'

const BACKUP = '8f14e45f-ceea-467f-a9d5-0a2b4c1e7d10'

let dir: string
let source: string
let root: string
let jail: Jail
let archive: Buffer
let panel: InMemoryPanelGateway
let server: Server
let published: ServerEvent[]
let stops: [number, boolean][]

/** The archive of a small tree, made by the backup side's own stream. */
async function makeArchive(): Promise<Buffer> {
  await mkdir(path.join(source, 'world/region'), { recursive: true })
  await writeFile(path.join(source, 'server.properties'), 'motd=restored\n')
  await writeFile(path.join(source, 'world/level.dat'), Buffer.alloc(200_000, 3))
  await writeFile(path.join(source, 'world/region/r.0.0.mca'), 'region')
  await chmod(path.join(source, 'server.properties'), 0o640)
  await utimes(path.join(source, 'world/level.dat'), 1_500_000_000, 1_500_000_000)
  await symlink('level.dat', path.join(source, 'world/level-link'))
  const sourceJail = await Jail.open(source)
  try {
    return Buffer.concat(
      await createTarGzStream(sourceJail, { directory: '', symlinks: true }).toArray(),
    )
  } finally {
    await sourceJail.close()
  }
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'restore-backup-'))
  source = path.join(dir, 'source')
  root = path.join(dir, 'root')
  await mkdir(source)
  await mkdir(root)
  archive = await makeArchive()
  await writeFile(path.join(root, 'server.properties'), 'motd=old\n')
  await writeFile(path.join(root, 'keep.txt'), 'mine')
  jail = await Jail.open(root)
  panel = new InMemoryPanelGateway()
  server = new Server({
    configuration: buildServerConfiguration('d3aac109-e5e0-4331-b03e-3454f7e136dc'),
  })
  published = []
  server.events.subscribeAll((event) => published.push(event))
  stops = []
})

afterEach(async () => {
  await jail.close()
  await rm(dir, { recursive: true, force: true })
})

function restorer(extract: ArchiveExtractor = extractTarGz): RestoreBackup {
  return new RestoreBackup({ panel, extract, messageIntervalMs: 50 })
}

function request(overrides: Partial<RestoreRequest> = {}): RestoreRequest {
  return {
    backupUuid: BACKUP,
    adapter: 'wings',
    truncate: false,
    server,
    jail,
    runtime: {
      stopWithin: (timeoutMs, kill) => {
        stops.push([timeoutMs, kill])
        return Promise.resolve()
      },
    },
    openArchive: () => Promise.resolve(Readable.from([archive])),
    ...overrides,
  }
}

const names = (): string[] => published.map((e) => e.name)
const messages = (): string[] =>
  published.filter((e) => e.name === 'daemon message').map((e) => e.payload)

describe('RestoreBackup', () => {
  it("writes the archive's files into the root with their modes and mtimes, and tells the Panel", async () => {
    const { done } = await restorer().start(request())

    expect(await done).toEqual({ successful: true })
    const restored = await describeTree(root)
    const original = await describeTree(source)
    expect(restored).toMatchObject(original)
    expect(await readlink(path.join(root, 'world/level-link'))).toBe('level.dat')
    expect(await readFile(path.join(root, 'keep.txt'), 'utf8')).toBe('mine')
    expect(panel.restoreStatuses).toEqual([{ backupUuid: BACKUP, successful: true }])
    expect(names().slice(-2)).toEqual(['daemon message', 'backup restore completed'])
    expect(messages().at(-1)).toBe(BACKUP_MESSAGES.restoredLocal)
    expect(messages().slice(0, -1).join('\r\n').split('\r\n')).toEqual([
      '(restoring): server.properties',
      '(restoring): world',
      '(restoring): world/level-link',
      '(restoring): world/level.dat',
      '(restoring): world/region',
      '(restoring): world/region/r.0.0.mca',
    ])
    expect(server.isRestoring).toBe(false)
    expect(server.isSuspended).toBe(false)
  })

  it('holds the server restoring and suspended until the files are written', async () => {
    const seen: { restoring: boolean; suspended: boolean }[] = []
    const watching: ArchiveExtractor = async (...args) => {
      seen.push({ restoring: server.isRestoring, suspended: server.isSuspended })
      return extractTarGz(...args)
    }

    const { done } = await restorer(watching).start(request())
    const flaggedAfterStart = server.isRestoring
    await done

    expect(flaggedAfterStart).toBe(true)
    expect(seen).toEqual([{ restoring: true, suspended: true }])
    expect(server.isRestoring).toBe(false)
  })

  it('empties the root first when asked to truncate', async () => {
    const { done } = await restorer().start(request({ truncate: true }))
    await done

    expect(Object.keys(await describeTree(root)).sort()).toEqual(
      Object.keys(await describeTree(source)).sort(),
    )
  })

  it('refuses a missing archive before deleting anything, and clears the flag', async () => {
    const missing = Object.assign(new Error(BACKUP_MESSAGES.notFound), { code: 'NOT_FOUND' })

    const failure = await restorer()
      .start(request({ truncate: true, openArchive: () => Promise.reject(missing) }))
      .catch((err: unknown) => err)

    expect(failure).toBe(missing)
    expect(await readFile(path.join(root, 'keep.txt'), 'utf8')).toBe('mine')
    expect(server.isRestoring).toBe(false)
    expect(panel.calls).toEqual([])
    expect(published).toEqual([])
  })

  it('refuses a second restore while one runs', async () => {
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    const slow: ArchiveExtractor = async (...args) => {
      await held
      return extractTarGz(...args)
    }
    const first = await restorer(slow).start(request())

    const second = await restorer()
      .start(request())
      .catch((err: unknown) => err)
    release()
    await first.done

    expect(isDaemonError(second) && second.code).toBe('CONFLICT')
    expect(panel.restoreStatuses).toEqual([{ backupUuid: BACKUP, successful: true }])
  })

  it('refuses a backup name that is not a canonical UUID', async () => {
    const failure = await restorer()
      .start(request({ backupUuid: '../x' }))
      .catch((err: unknown) => err)

    expect(isDaemonError(failure) && failure.code).toBe('BAD_REQUEST')
    expect(server.isRestoring).toBe(false)
  })

  it('stops a running server first, without killing it', async () => {
    server.setState('running')

    const { done } = await restorer().start(request())
    await done

    expect(stops).toEqual([[RESTORE_STOP_TIMEOUT_MS, false]])
  })

  it('fails, writes nothing and tells the Panel when the server does not stop in time', async () => {
    server.setState('running')
    const runtime = { stopWithin: () => Promise.reject(new TimeoutError('did not stop')) }

    const { done } = await restorer().start(request({ runtime }))

    expect((await done).successful).toBe(false)
    expect(await readFile(path.join(root, 'server.properties'), 'utf8')).toBe('motd=old\n')
    expect(panel.restoreStatuses).toEqual([{ backupUuid: BACKUP, successful: false }])
    expect(names().slice(-2)).toEqual(['daemon message', 'backup restore completed'])
    expect(server.isRestoring).toBe(false)
  })

  it('fails on a corrupt archive, and still ends with the closing message and event', async () => {
    const corrupt = Buffer.concat([archive.subarray(0, 200), Buffer.alloc(5000, 0x41)])

    const { done } = await restorer().start(
      request({ adapter: 's3', openArchive: () => Promise.resolve(Readable.from([corrupt])) }),
    )

    expect((await done).successful).toBe(false)
    expect(panel.restoreStatuses).toEqual([{ backupUuid: BACKUP, successful: false }])
    expect(messages().at(-1)).toBe(BACKUP_MESSAGES.restoredS3)
    expect(names().at(-1)).toBe('backup restore completed')
    expect(server.isSuspended).toBe(false)
  })

  it('fails when the files would not fit the disk limit', async () => {
    const small = await Jail.open(root, { diskLimitBytes: 50_000 })

    const { done } = await restorer().start(request({ jail: small }))
    const outcome = await done
    await small.close()

    expect(outcome.successful).toBe(false)
    expect(isDaemonError((outcome as { error: unknown }).error)).toBe(true)
    expect(panel.restoreStatuses).toEqual([{ backupUuid: BACKUP, successful: false }])
  })

  it('still finishes when the Panel cannot take the report', async () => {
    panel.failNext('setRestoreStatus', new Error('Panel down'))

    const { done } = await restorer().start(request())

    expect(await done).toEqual({ successful: true })
    expect(names().at(-1)).toBe('backup restore completed')
    expect(server.isRestoring).toBe(false)
  })
})
