import { jailFaultOf } from '@node/filesystem-jail'
import type { NotFoundError } from '@node/shared-kernel'

import { FileNotFoundError } from '../http/captured-errors.js'

/** Handler messages of http-api §7 and §10, verbatim. */
export const FILE_ROUTE_ERRORS = {
  cannotOpenType: 'Cannot open files of this type.',
  missingContentLength: 'Missing Content-Length',
  writeOverDirectory:
    'Cannot write file, name conflicts with an existing directory by the same name.',
  noRenameFiles: 'No files to move or rename were provided.',
  noDeleteFiles: 'No files were specified for deletion.',
  noCompressFiles: 'No files were passed through to be compressed.',
  noChmodFiles: 'No files to chmod were provided.',
  invalidMode: 'Invalid file mode.',
  compressNoSpace:
    'This server does not have enough available disk space to generate a compressed archive.',
  unknownArchive: 'The archive provided is in a format Wings does not understand.',
  resourceNotFound: 'The requested resource was not found on this server.',
  multipart: 'Failed to get multipart form data from request.',
  noUploadFiles: 'No files were found on the request body.',
  remoteDisabled: 'This functionality is not currently enabled on this instance.',
  shortPattern: 'Pattern must be at least 3 characters long',
  pullLimit:
    'This server has reached its limit of 3 simultaneous remote file downloads at once. Please wait for one to complete before trying again.',
} as const

/**
 * Most names one file request may carry (delete, rename, chmod, compress): a request is work for
 * one user, and its names are processed a few at a time, so a larger list only holds the node
 * longer. Far above what the Panel's file manager sends for one selection.
 */
export const MAX_FILES_PER_REQUEST = 10_000

/** Most files one upload request may carry: each is held open until the whole form was read. */
export const MAX_UPLOAD_FILES = 100

/** The refusal of a request naming more than `limit` files (docs/errors.md). */
export function tooManyFiles(limit: number): string {
  return `Too many files were provided in one request: at most ${limit} are allowed.`
}

/** The §3.1 not-found error, for paths the routes refuse themselves. */
export function fileNotFound(): NotFoundError {
  return new FileNotFoundError()
}

export function isNotFound(error: unknown): boolean {
  return jailFaultOf(error)?.reason === 'not_found'
}

/** An octal mode string of http-api §7.10 (`"755"`, `"0644"`), or undefined when unparsable. */
export function parseOctalMode(text: string): number | undefined {
  if (!/^[0-7]{1,4}$/.test(text)) return undefined
  return Number.parseInt(text, 8)
}
