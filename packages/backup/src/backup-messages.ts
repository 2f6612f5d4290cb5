import { BadRequestError } from '@node/shared-kernel'

/** The texts the spec prescribes for backups (http-api §3.2, §9, §10.1), verbatim. */
export const BACKUP_MESSAGES = {
  invalidUuid: 'The backup identifier must be a valid UUID.',
  notFound: 'The requested backup was not found on this server.',
  /** The state guard of a restoring server, also given to a second restore. */
  restoring: 'server is currently being restored',
  restoredLocal: 'Completed server restoration from local backup.',
  restoredS3: 'Completed server restoration from S3 backup.',
} as const

// Canonical form only: lower-case hex, hyphens at 8-4-4-4-12 (the [v1.12] check).
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Whether `value` is a canonical lower-case UUID, the only form a backup name may take. */
export function isBackupUuid(value: unknown): value is string {
  return typeof value === 'string' && CANONICAL_UUID.test(value)
}

/** Throws BadRequestError with the spec's message unless `value` is a canonical UUID. */
export function assertBackupUuid(value: unknown): asserts value is string {
  if (!isBackupUuid(value)) throw new BadRequestError(BACKUP_MESSAGES.invalidUuid)
}
