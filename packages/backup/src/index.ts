export { ArchiveDigest } from './archive-digest.js'
export {
  archiveSizeBound,
  measureTree,
  tarGzSizeBound,
  type TreeMeasure,
} from './archive-size-bound.js'
export { assertBackupUuid, BACKUP_MESSAGES, isBackupUuid } from './backup-messages.js'
export { CoalescedMessages, DEFAULT_MESSAGE_INTERVAL_MS } from './coalesced-messages.js'
export { gzipLevelOf } from './compression-level.js'
export {
  CreateBackup,
  FAILED_BACKUP_STATUS,
  type BackupOutcome,
  type BackupRequest,
  type CreateBackupOptions,
} from './create-backup.js'
export { failInterruptedBackups } from './fail-interrupted-backups.js'
export { ignorePatterns, loadIgnoreRules, MAX_PTEROIGNORE_BYTES } from './ignore-rules.js'
export type {
  BackupStore,
  OpenedBackup,
  PutOptions,
  StoredBackup,
  UploadedPart,
} from './ports/backup-store.js'
export { limitRate, RateLimit } from './rate-limit.js'
export {
  RESTORE_STOP_TIMEOUT_MS,
  RestoreBackup,
  type ArchiveExtractor,
  type ExtractOptions,
  type RestoreBackupOptions,
  type RestoreOutcome,
  type RestoreRequest,
  type ServerStopper,
  type StartedRestore,
} from './restore-backup.js'
export { truncateRoot } from './truncate-root.js'
