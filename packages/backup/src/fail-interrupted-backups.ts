import type { PanelGateway } from '@node/server-state'
import { nullLogger, type Logger } from '@node/shared-kernel'

import { FAILED_BACKUP_STATUS } from './create-backup.js'
import type { BackupStore } from './ports/backup-store.js'

/**
 * At start: every store removes what backups a crash cut short left behind, and the Panel is
 * told each of those backups failed (a failed report may be sent again; a lost one would leave
 * the backup pending until the Panel's prune). Resolves with their uuids; failures are logged.
 */
export async function failInterruptedBackups(options: {
  readonly stores: readonly BackupStore[]
  readonly panel: Pick<PanelGateway, 'setBackupStatus'>
  readonly logger?: Logger
  readonly signal?: AbortSignal
}): Promise<string[]> {
  const logger = options.logger ?? nullLogger
  const interrupted: string[] = []
  for (const store of options.stores) {
    try {
      interrupted.push(...(await store.recoverInterrupted()))
    } catch (error) {
      logger.error('failed to clean up interrupted backups', { err: error })
    }
  }
  for (const uuid of new Set(interrupted)) {
    try {
      await options.panel.setBackupStatus(uuid, FAILED_BACKUP_STATUS, options.signal)
      logger.info('notified panel of interrupted backup', { backup_uuid: uuid })
    } catch (error) {
      logger.warn('failed to notify panel of interrupted backup', { backup_uuid: uuid, err: error })
    }
  }
  return [...new Set(interrupted)]
}
