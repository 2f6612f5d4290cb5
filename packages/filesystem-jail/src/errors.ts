import {
  BadRequestError,
  type DaemonError,
  DeniedError,
  NotFoundError,
  QuotaExceededError,
} from '@node/shared-kernel'

/** The user-facing messages of http-api §3.1 (and §7 where an operation has its own), verbatim. */
export const JAIL_MESSAGES = {
  notFound: 'The requested resources was not found on the system.',
  denied: 'This file cannot be modified: present in egg denylist.',
  isDirectory: 'Cannot perform that action: file is a directory.',
  quota: 'There is not enough disk space available to perform that action.',
  nameTooLong: 'Cannot perform that action: file name is too long.',
  notRegular: 'Cannot perform that action: not a regular file.',
  renameExists: 'Cannot move or rename file, destination already exists.',
  intoItself: 'Cannot perform that action: a directory cannot be moved into itself.',
  mkdirNotDirectory: 'Part of the path being created is not a directory (ENOTDIR).',
  mkdirFileExists:
    'Cannot create directory, name conflicts with an existing file by the same name.',
} as const

/**
 * Why an operation failed, finer than the DaemonError code. For logs, and for callers whose
 * endpoint words a case its own way (e.g. `fifo` → "Cannot open files of this type.").
 */
export type JailFaultReason =
  | 'not_found'
  | 'outside_root'
  | 'bad_path'
  | 'symlink'
  | 'denied'
  | 'is_directory'
  | 'not_directory'
  | 'quota'
  | 'name_too_long'
  | 'not_regular'
  | 'fifo'
  | 'device'
  | 'socket'
  | 'hard_link'
  | 'exists'
  | 'into_itself'
  | 'root'
  | 'closed'
  | 'bad_mode'

// Log texts follow the reference daemon's error strings, so operators can grep for them.
const FAULT_TEXT: Readonly<Record<JailFaultReason, string>> = {
  not_found: 'file does not exist',
  outside_root: 'path resolves to a location outside the server root',
  bad_path: 'invalid path',
  symlink: 'path resolves to a location outside the server root (final component is a symlink)',
  denied: 'filesystem: file access prohibited',
  is_directory: 'filesystem: is a directory',
  not_directory: 'not a directory',
  quota: 'filesystem: not enough disk space',
  name_too_long: 'file name too long',
  not_regular: 'not a regular file',
  fifo: 'not a regular file (named pipe)',
  device: 'not a regular file (device)',
  socket: 'not a regular file (socket)',
  hard_link: 'not a regular file (more than one hard link)',
  exists: 'file already exists',
  into_itself: 'a directory cannot be moved into its own subtree',
  root: 'operation on the server root itself is refused',
  closed: 'the jail is closed',
  bad_mode: 'invalid file mode',
}

/** The finer reason behind a jail error, kept as its `cause`. Never shown to Panel users. */
export class JailFault extends Error {
  readonly reason: JailFaultReason
  /** The path as the caller gave it. */
  readonly path: string

  constructor(reason: JailFaultReason, path: string, options?: ErrorOptions) {
    super(`${FAULT_TEXT[reason]}: ${JSON.stringify(path)}`, options)
    this.name = 'JailFault'
    this.reason = reason
    this.path = path
  }
}

/** The JailFault behind an error thrown by this package, if any. */
export function jailFaultOf(error: unknown): JailFault | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    if (e instanceof JailFault) return e
    e = e.cause
  }
  return undefined
}

/**
 * The DaemonError for a reason, with the §3.1 message. `message` overrides it for operations
 * that the spec words their own way. `root` and `closed` have no §3.1 row: they are thrown as the
 * bare JailFault, which the daemon answers with its generic 500, as the reference does.
 */
export function jailError(
  reason: JailFaultReason,
  path: string,
  options: { cause?: unknown; message?: string } = {},
): DaemonError | JailFault {
  const fault = new JailFault(reason, path, { cause: options.cause })
  const init = { cause: fault }
  switch (reason) {
    case 'not_found':
    case 'outside_root':
    case 'bad_path':
    case 'symlink':
    case 'not_directory':
      return new NotFoundError(options.message ?? JAIL_MESSAGES.notFound, init)
    case 'denied':
      return new DeniedError(options.message ?? JAIL_MESSAGES.denied, init)
    case 'is_directory':
      return new BadRequestError(options.message ?? JAIL_MESSAGES.isDirectory, init)
    case 'quota':
      return new QuotaExceededError(options.message ?? JAIL_MESSAGES.quota, init)
    case 'name_too_long':
      return new BadRequestError(options.message ?? JAIL_MESSAGES.nameTooLong, init)
    case 'not_regular':
    case 'fifo':
    case 'device':
    case 'socket':
    case 'hard_link':
      return new BadRequestError(options.message ?? JAIL_MESSAGES.notRegular, init)
    case 'exists':
      return new BadRequestError(options.message ?? JAIL_MESSAGES.renameExists, init)
    case 'into_itself':
      return new BadRequestError(options.message ?? JAIL_MESSAGES.intoItself, init)
    case 'bad_mode':
      return new BadRequestError(options.message ?? 'Invalid file mode.', init)
    case 'root':
    case 'closed':
      return fault
  }
}

// Checked by isFilesystemError instead of instanceof: a consumer may hold two copies.
const kArchiveError = Symbol.for('@node/filesystem-jail/ArchiveError')

/** Brands an archive error (archive-errors.ts) as raised by this package. */
export function brandArchiveError<T extends Error>(error: T): T {
  Object.defineProperty(error, kArchiveError, { value: true })
  return error
}

/**
 * Whether this package raised `error` for a failed file or archive operation: a JailFault is
 * behind it, or it is an archive error. The daemon answers these as the reference answers its
 * filesystem errors (with the request id in the envelope).
 */
export function isFilesystemError(error: unknown): boolean {
  if (typeof error === 'object' && error !== null && kArchiveError in error) return true
  return jailFaultOf(error) !== undefined
}

const ERRNO_REASON: Readonly<Record<string, JailFaultReason>> = {
  ENOENT: 'not_found',
  EXDEV: 'outside_root',
  ELOOP: 'outside_root',
  ENOTDIR: 'not_directory',
  EISDIR: 'is_directory',
  ENAMETOOLONG: 'name_too_long',
  EEXIST: 'exists',
  ENOSPC: 'quota',
  EDQUOT: 'quota',
}

/** The errno code of a Node-style system error, if it is one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('E') ? code : undefined
}

/**
 * Translates a system error into the jail's error model; anything without a §3.1 meaning
 * (EACCES, EIO, …) is rethrown unchanged and becomes the daemon's generic 500.
 */
export function translateError(error: unknown, path: string): unknown {
  if (jailFaultOf(error)) return error
  const code = errnoOf(error)
  const reason = code === undefined ? undefined : ERRNO_REASON[code]
  return reason === undefined ? error : jailError(reason, path, { cause: error })
}
