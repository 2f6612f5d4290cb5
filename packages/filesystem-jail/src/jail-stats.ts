import { constants, type Stats } from 'node:fs'

/** What a directory entry is, from its `st_mode`. */
export type FileKind =
  | 'file'
  | 'directory'
  | 'symlink'
  | 'fifo'
  | 'socket'
  | 'block-device'
  | 'character-device'
  | 'unknown'

/** The metadata of one entry, read without following a final symlink (lstat). */
export interface JailStats {
  readonly kind: FileKind
  /** The full `st_mode`: type and permission bits. */
  readonly mode: number
  readonly size: number
  readonly nlink: number
  readonly uid: number
  readonly gid: number
  readonly dev: number
  readonly ino: number
  readonly atimeMs: number
  readonly mtimeMs: number
  /** Status change time; the spec's `created` field uses it, as the reference does. */
  readonly ctimeMs: number
}

export function kindOf(mode: number): FileKind {
  switch (mode & constants.S_IFMT) {
    case constants.S_IFREG:
      return 'file'
    case constants.S_IFDIR:
      return 'directory'
    case constants.S_IFLNK:
      return 'symlink'
    case constants.S_IFIFO:
      return 'fifo'
    case constants.S_IFSOCK:
      return 'socket'
    case constants.S_IFBLK:
      return 'block-device'
    case constants.S_IFCHR:
      return 'character-device'
    default:
      return 'unknown'
  }
}

export function fromNodeStats(stats: Stats): JailStats {
  return {
    kind: kindOf(stats.mode),
    mode: stats.mode,
    size: stats.size,
    nlink: stats.nlink,
    uid: stats.uid,
    gid: stats.gid,
    dev: stats.dev,
    ino: stats.ino,
    atimeMs: stats.atimeMs,
    mtimeMs: stats.mtimeMs,
    ctimeMs: stats.ctimeMs,
  }
}
