import { BadRequestError, QuotaExceededError } from '@node/shared-kernel'

import { brandArchiveError } from '../errors.js'

/** http-api §7.8/§7.9 texts, verbatim. */
export const ARCHIVE_MESSAGES = {
  unknownFormat: 'The archive provided is in a format Wings does not understand.',
  quota: 'There is not enough disk space available to perform that action.',
} as const

/** The archive's format is not one this daemon extracts (400, §7.9). */
export class UnsupportedArchiveError extends BadRequestError {
  readonly format: string

  constructor(format: string) {
    super(ARCHIVE_MESSAGES.unknownFormat)
    this.format = format
    brandArchiveError(this)
  }
}

/** The archive is corrupt or truncated: reported as the unknown-format 400 too. */
export class CorruptArchiveError extends BadRequestError {
  constructor(cause: unknown) {
    super(ARCHIVE_MESSAGES.unknownFormat, { cause })
    brandArchiveError(this)
  }
}

/** The ratio/size guard stopped a decompression bomb: the quota's 400. */
export class ArchiveBombError extends QuotaExceededError {
  constructor(detail: string) {
    super(ARCHIVE_MESSAGES.quota, { cause: new Error(detail) })
    brandArchiveError(this)
  }
}
