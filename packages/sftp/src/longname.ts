import { constants } from 'node:fs'

import type { JailStats } from '@node/filesystem-jail'

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const SIX_MONTHS_MS = 182 * 24 * 3600 * 1000

/**
 * The `ls -l` line of a READDIR entry, in OpenSSH's layout (mode, links, owner, group, size,
 * date, name), with numeric owner and group and UTC times. Clients print it verbatim.
 */
export function longname(name: string, stats: JailStats, nowMs: number): string {
  const date = new Date(stats.mtimeMs)
  const recent = Math.abs(nowMs - stats.mtimeMs) < SIX_MONTHS_MS
  const day = String(date.getUTCDate()).padStart(2, ' ')
  const when = recent
    ? `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}`
    : ` ${date.getUTCFullYear()}`
  return [
    modeString(stats.mode),
    String(stats.nlink).padStart(4, ' '),
    String(stats.uid).padEnd(8, ' '),
    String(stats.gid).padEnd(8, ' '),
    String(stats.size).padStart(8, ' '),
    `${MONTHS[date.getUTCMonth()]} ${day} ${when}`,
    name,
  ].join(' ')
}

/** `drwxr-xr-x` from `st_mode`. */
export function modeString(mode: number): string {
  const type = TYPE_CHARS.get(mode & constants.S_IFMT) ?? '?'
  const bit = (mask: number, c: string): string => (mode & mask ? c : '-')
  const special = (exec: number, flag: number, on: string, off: string): string => {
    if (mode & flag) return mode & exec ? on : off
    return mode & exec ? 'x' : '-'
  }
  return (
    type +
    bit(0o400, 'r') +
    bit(0o200, 'w') +
    special(0o100, 0o4000, 's', 'S') +
    bit(0o040, 'r') +
    bit(0o020, 'w') +
    special(0o010, 0o2000, 's', 'S') +
    bit(0o004, 'r') +
    bit(0o002, 'w') +
    special(0o001, 0o1000, 't', 'T')
  )
}

const TYPE_CHARS = new Map<number, string>([
  [constants.S_IFREG, '-'],
  [constants.S_IFDIR, 'd'],
  [constants.S_IFLNK, 'l'],
  [constants.S_IFIFO, 'p'],
  [constants.S_IFSOCK, 's'],
  [constants.S_IFCHR, 'c'],
  [constants.S_IFBLK, 'b'],
])

function pad2(value: number): string {
  return String(value).padStart(2, '0')
}
