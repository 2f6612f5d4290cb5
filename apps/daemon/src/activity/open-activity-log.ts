import { ActivityLog, SqliteActivityStore } from '@node/activity'
import type { PanelGateway } from '@node/server-state'
import type { Logger } from '@node/shared-kernel'

import type { DaemonConfig } from '../config/schema.js'
import { activitySettings } from '../config/to-options.js'

export interface OpenActivityLogOptions {
  /** `<root_directory>/wings.db` */
  readonly file: string
  /** The configuration in force, read before every use. */
  readonly config: () => DaemonConfig
  readonly panel: Pick<PanelGateway, 'sendActivity'>
  readonly logger: Logger
}

/**
 * The node's activity log on `<root_directory>/wings.db` (behaviour §13), its senders not yet
 * started. Rejects when the database cannot be opened.
 */
export async function openActivityLog(options: OpenActivityLogOptions): Promise<ActivityLog> {
  const store = await SqliteActivityStore.open({ file: options.file })
  return new ActivityLog({
    store,
    panel: options.panel,
    settings: () => activitySettings(options.config()),
    logger: options.logger,
  })
}
