import { randomUUID } from 'node:crypto'

import { InMemoryPanelGateway } from '@node/server-state/testing'
import { describe, expect, it } from 'vitest'

import { FAILED_BACKUP_STATUS } from './create-backup.js'
import { failInterruptedBackups } from './fail-interrupted-backups.js'
import { InMemoryBackupBackend, InMemoryBackupStore } from './testing/in-memory-backup-store.js'

describe('failInterruptedBackups', () => {
  it('tells the Panel that every backup a crash cut short failed, once each', async () => {
    const [a, b] = [randomUUID(), randomUUID()]
    const local = new InMemoryBackupBackend()
    const s3 = new InMemoryBackupBackend()
    local.inFlight.add(a)
    s3.inFlight.add(a)
    s3.inFlight.add(b)
    const panel = new InMemoryPanelGateway()
    panel.failNext('setBackupStatus', new Error('Panel down'))

    const interrupted = await failInterruptedBackups({
      stores: [
        new InMemoryBackupStore({ backend: local }),
        new InMemoryBackupStore({ backend: s3 }),
      ],
      panel,
    })

    expect(interrupted.sort()).toEqual([a, b].sort())
    expect(panel.calls.map((c) => c.args[0]).sort()).toEqual([a, b].sort())
    expect(panel.backupStatuses).toHaveLength(1)
    expect(panel.backupStatuses[0]!.status).toEqual(FAILED_BACKUP_STATUS)
    expect(local.inFlight.size + s3.inFlight.size).toBe(0)
  })
})
