import type { JailStats } from '@node/filesystem-jail'

import type { FileAttributes } from './protocol/attributes.js'

/** The metadata SFTP reports; both JailStats and node's fs.Stats have it. */
export type FileStats = Pick<
  JailStats,
  'mode' | 'size' | 'nlink' | 'uid' | 'gid' | 'atimeMs' | 'mtimeMs'
>

/** SFTP attributes of a file: size, owner, full mode, times in whole seconds. */
export function attributesOf(stats: FileStats): FileAttributes {
  return {
    size: stats.size,
    uid: stats.uid,
    gid: stats.gid,
    mode: stats.mode,
    atime: Math.floor(stats.atimeMs / 1000),
    mtime: Math.floor(stats.mtimeMs / 1000),
  }
}
