import { createHash } from 'node:crypto'
import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { Jail } from '@node/filesystem-jail'
import { ServerEventBus, type BackupCompleted } from '@node/server-state'
import { InMemoryPanelGateway } from '@node/server-state/testing'
import { isDaemonError } from '@node/shared-kernel'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { describeTree, run } from '../test/support/trees.js'
import { BACKUP_MESSAGES } from './backup-messages.js'
import { CreateBackup, FAILED_BACKUP_STATUS } from './create-backup.js'
import { InMemoryBackupStore } from './testing/in-memory-backup-store.js'

const BACKUP = '8f14e45f-ceea-467f-a9d5-0a2b4c1e7d10'

let dir: string
let root: string
let jail: Jail
let panel: InMemoryPanelGateway
let store: InMemoryBackupStore
let events: ServerEventBus
let completed: BackupCompleted[]

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'create-backup-'))
  root = path.join(dir, 'root')
  await mkdir(path.join(root, 'world/region'), { recursive: true })
  await writeFile(path.join(root, 'server.properties'), 'motd=hello\n')
  await writeFile(path.join(root, 'world/level.dat'), Buffer.alloc(300_000, 7))
  await writeFile(path.join(root, 'world/region/r.0.0.mca'), 'region')
  await writeFile(path.join(root, 'latest.log'), 'log line\n')
  await chmod(path.join(root, 'server.properties'), 0o600)
  await utimes(path.join(root, 'world/level.dat'), 1_600_000_000, 1_600_000_000)
  jail = await Jail.open(root)
  panel = new InMemoryPanelGateway()
  store = new InMemoryBackupStore()
  events = new ServerEventBus()
  completed = []
  events.subscribe('backup completed', (payload) => completed.push(payload))
})

afterEach(async () => {
  await jail.close()
  await rm(dir, { recursive: true, force: true })
})

const backups = (): CreateBackup => new CreateBackup({ panel })

/** The stored archive, listed and extracted with the system's tar. */
async function unpack(): Promise<{ names: string[]; tree: Record<string, string> }> {
  const archive = path.join(dir, 'backup.tar.gz')
  await writeFile(archive, store.backend.archives.get(BACKUP)!)
  const out = path.join(dir, 'out')
  await mkdir(out)
  await run('tar', ['-xzf', archive, '-C', out])
  const { stdout } = await run('tar', ['-tzf', archive])
  return { names: stdout.split('\n').filter(Boolean).sort(), tree: await describeTree(out) }
}

describe('CreateBackup', () => {
  it('archives the root into the store, tells the Panel its sha1 and size, and publishes backup completed', async () => {
    const outcome = await backups().execute({ backupUuid: BACKUP, ignore: '', jail, events, store })

    const bytes = store.backend.archives.get(BACKUP)!
    const sha1 = createHash('sha1').update(bytes).digest('hex')
    expect(outcome).toMatchObject({ successful: true, stored: { sha1, sizeBytes: bytes.length } })
    expect(panel.backupStatuses).toEqual([
      {
        backupUuid: BACKUP,
        status: {
          checksum: sha1,
          checksumType: 'sha1',
          size: bytes.length,
          successful: true,
          parts: null,
        },
      },
    ])
    expect(completed).toEqual([
      {
        uuid: BACKUP,
        isSuccessful: true,
        checksum: sha1,
        checksumType: 'sha1',
        fileSize: bytes.length,
      },
    ])
    expect((await unpack()).tree).toEqual(await describeTree(root))
  })

  it("leaves out what the request's ignore list names, the Panel's stray \\r stripped", async () => {
    await backups().execute({
      backupUuid: BACKUP,
      ignore: '*.log\r\nworld/region/\r\n',
      jail,
      events,
      store,
    })

    const { names, tree } = await unpack()
    expect(Object.keys(tree).sort()).toEqual(['server.properties', 'world/level.dat'])
    // A `dir/` rule matches the directory itself: it is not even an empty entry.
    expect(names).toEqual(['server.properties', 'world/', 'world/level.dat'])
  })

  it('stores symlinks as links, never what they point to', async () => {
    await symlink('world/level.dat', path.join(root, 'level-link'))
    await symlink('/etc/passwd', path.join(root, 'passwd-link'))

    await backups().execute({ backupUuid: BACKUP, ignore: '', jail, events, store })

    const archive = path.join(dir, 'backup.tar.gz')
    await writeFile(archive, store.backend.archives.get(BACKUP)!)
    const { stdout } = await run('tar', ['-tvzf', archive])
    expect(stdout).toMatch(/^l.* level-link -> world\/level\.dat$/m)
    expect(stdout).toMatch(/^l.* passwd-link -> \/etc\/passwd$/m)
  })

  it('takes the ignore list from .pteroignore when the request has none', async () => {
    await writeFile(path.join(root, '.pteroignore'), 'world/\n')

    await backups().execute({ backupUuid: BACKUP, ignore: '\n', jail, events, store })

    expect(Object.keys((await unpack()).tree).sort()).toEqual([
      '.pteroignore',
      'latest.log',
      'server.properties',
    ])
  })

  it.each([
    [
      'a symlink',
      async () => {
        await writeFile(path.join(root, 'rules'), 'world/\n')
        await symlink('rules', path.join(root, '.pteroignore'))
      },
    ],
    [
      'larger than 32 KiB',
      () => writeFile(path.join(root, '.pteroignore'), `world/\n${'#'.repeat(33 * 1024)}\n`),
    ],
  ])('does not use a .pteroignore that is %s', async (_, plant) => {
    await plant()

    await backups().execute({ backupUuid: BACKUP, ignore: '', jail, events, store })

    expect(Object.keys((await unpack()).tree)).toContain('world/level.dat')
  })

  it.each(['not-a-uuid', BACKUP.toUpperCase(), `${BACKUP}/../x`])(
    'refuses the backup name %j at once: nothing stored, nothing reported',
    (backupUuid) => {
      let failure: unknown
      try {
        void backups().execute({ backupUuid, ignore: '', jail, events, store })
      } catch (error) {
        failure = error
      }

      expect(isDaemonError(failure) && failure.message).toBe(BACKUP_MESSAGES.invalidUuid)
      expect(panel.calls).toEqual([])
      expect(completed).toEqual([])
    },
  )

  it('reports a failure, never a success, when the disk fills up midway', async () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
    })
    store.failNext(full, 1000)

    const outcome = await backups().execute({ backupUuid: BACKUP, ignore: '', jail, events, store })

    expect(outcome).toEqual({ successful: false, error: full })
    expect(store.backend.archives.size).toBe(0)
    expect(panel.backupStatuses).toEqual([{ backupUuid: BACKUP, status: FAILED_BACKUP_STATUS }])
    expect(completed).toEqual([
      { uuid: BACKUP, isSuccessful: false, checksum: '', checksumType: 'sha1', fileSize: 0 },
    ])
    expect(Object.keys(await describeTree(root))).toContain('server.properties')
  })

  it('removes the archive and reports a failure when the Panel cannot take the success report', async () => {
    panel.failNext('setBackupStatus', new Error('Panel down: HTTP 503 after every retry'))

    const outcome = await backups().execute({ backupUuid: BACKUP, ignore: '', jail, events, store })

    expect(outcome.successful).toBe(false)
    expect(store.backend.archives.size).toBe(0)
    expect(panel.calls.map((c) => (c.args[1] as { successful: boolean }).successful)).toEqual([
      true,
      false,
    ])
    expect(panel.backupStatuses).toEqual([{ backupUuid: BACKUP, status: FAILED_BACKUP_STATUS }])
    expect(completed.map((c) => c.isSuccessful)).toEqual([false])
  })

  it('announces to a store that asks a size bound the archive stays under', async () => {
    const sizing = new InMemoryBackupStore({ announcesSize: true })

    const outcome = await backups().execute({
      backupUuid: BACKUP,
      ignore: '',
      jail,
      events,
      store: sizing,
    })

    expect(outcome.successful).toBe(true)
    expect(sizing.announcedSizes[0]).toBeGreaterThanOrEqual(
      sizing.backend.archives.get(BACKUP)!.length,
    )
  })

  it('fails without reading on when the server is deleted', async () => {
    const controller = new AbortController()
    controller.abort(new Error('server deleted'))

    const outcome = await backups().execute({
      backupUuid: BACKUP,
      ignore: '',
      jail,
      events,
      store,
      signal: controller.signal,
    })

    expect(outcome.successful).toBe(false)
    expect(store.backend.archives.size).toBe(0)
    expect(panel.backupStatuses).toEqual([{ backupUuid: BACKUP, status: FAILED_BACKUP_STATUS }])
  })
})
