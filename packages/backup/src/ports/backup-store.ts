import type { Readable } from 'node:stream'

/**
 * Where finished backup archives go. Adapters: @node/storage-local (`wings`, the node's disk) and
 * @node/storage-s3 (`s3`, multipart parts uploaded to URLs the Panel presigns).
 */
export interface BackupStore {
  /**
   * Streams `archive` into the store and resolves once all of it is durable, with its size and
   * SHA-1 computed while it flowed. A failed or aborted put rejects and leaves nothing behind:
   * no file that looks like a backup, no temporary or spool file. Rejects with BadRequestError
   * before reading anything when `backupUuid` is not a canonical UUID.
   */
  put(backupUuid: string, archive: Readable, options: PutOptions): Promise<StoredBackup>
  /**
   * Opens a stored archive for reading. Rejects with NotFoundError when this node holds no
   * archive under `backupUuid` (always for S3: the Panel serves those through presigned URLs).
   */
  open(backupUuid: string): Promise<OpenedBackup>
  /**
   * Deletes a stored archive. Rejects with NotFoundError when this node holds none (always for
   * S3: the Panel deletes those objects itself, and treats the 404 as already deleted).
   */
  remove(backupUuid: string): Promise<void>
  /**
   * Removes what puts cut short by a crash of an earlier process left behind, and resolves with
   * their backup uuids so the Panel can be told they failed. Call once at start, before any put.
   */
  recoverInterrupted(): Promise<readonly string[]>
}

export interface PutOptions {
  readonly signal: AbortSignal
  /**
   * An upper bound of the archive's size in bytes, asked for only by stores that must announce a
   * size before the first byte (S3: the Panel presigns one URL per part of that size). The archive
   * must not grow past it; a put whose archive does rejects.
   */
  readonly maxSizeBytes?: () => Promise<number>
}

/** One uploaded part of a multipart upload, as the Panel completes it (ETag verbatim, quotes included). */
export interface UploadedPart {
  readonly etag: string
  readonly partNumber: number
}

export interface StoredBackup {
  readonly sizeBytes: number
  /** Lower-case hex SHA-1 of the archive's bytes. */
  readonly sha1: string
  /** The parts the Panel completes the upload with (S3); null when there is nothing to complete. */
  readonly parts: readonly UploadedPart[] | null
}

export interface OpenedBackup {
  readonly stream: Readable
  /** Exactly this many bytes will flow (Content-Length of a download). */
  readonly sizeBytes: number
}
