import { constants } from 'node:fs'

import { lossyName, type JailStats } from '@node/filesystem-jail'

/** The Stat object of http-api §7.2, in the reference's field order. */
export interface WireStat {
  readonly name: string
  readonly created: string
  readonly modified: string
  readonly mode: string
  readonly mode_bits: string
  readonly size: number
  readonly directory: boolean
  readonly file: boolean
  readonly symlink: boolean
  readonly mime: string
}

/**
 * A jail entry as the Panel reads it. `name` is a jail name: bytes that are not UTF-8 go out as
 * the reference sends them, one U+FFFD each (never as a lone surrogate, which JSON refuses).
 */
export function toWireStat(name: string, stats: JailStats, mime: string): WireStat {
  const directory = stats.kind === 'directory'
  return {
    name: lossyName(name),
    created: rfc3339(stats.ctimeMs),
    modified: rfc3339(stats.mtimeMs),
    mode: goFileMode(stats.mode),
    mode_bits: (stats.mode & 0o777).toString(8),
    size: stats.size,
    directory,
    file: !directory,
    // Reported truthfully; the reference always sends false (a mask bug, spec §7.2 QUIRK).
    symlink: stats.kind === 'symlink',
    mime,
  }
}

/** Go's `FileMode.String()` for an `st_mode`: type letters in Go's order, then `rwxrwxrwx`. */
export function goFileMode(mode: number): string {
  let prefix = ''
  const type = mode & constants.S_IFMT
  if (type === constants.S_IFDIR) prefix += 'd'
  if (type === constants.S_IFLNK) prefix += 'L'
  if (type === constants.S_IFBLK || type === constants.S_IFCHR) prefix += 'D'
  if (type === constants.S_IFIFO) prefix += 'p'
  if (type === constants.S_IFSOCK) prefix += 'S'
  if (mode & 0o4000) prefix += 'u'
  if (mode & 0o2000) prefix += 'g'
  if (type === constants.S_IFCHR) prefix += 'c'
  if (mode & 0o1000) prefix += 't'
  const known = [
    constants.S_IFREG,
    constants.S_IFDIR,
    constants.S_IFLNK,
    constants.S_IFBLK,
    constants.S_IFCHR,
    constants.S_IFIFO,
    constants.S_IFSOCK,
  ]
  if (!known.includes(type)) prefix += '?'
  const letters = 'rwxrwxrwx'
  let perms = ''
  for (let bit = 0; bit < 9; bit++) {
    perms += mode & (1 << (8 - bit)) ? letters[bit] : '-'
  }
  return (prefix === '' ? '-' : prefix) + perms
}

/** Go's RFC 3339 layout in the daemon's local zone: `2006-01-02T15:04:05Z07:00`. */
export function rfc3339(ms: number): string {
  const date = new Date(Math.floor(ms / 1000) * 1000)
  const offsetMinutes = -date.getTimezoneOffset()
  const local = new Date(date.getTime() + offsetMinutes * 60_000)
  const stamp = local.toISOString().slice(0, 19)
  if (offsetMinutes === 0) return `${stamp}Z`
  const sign = offsetMinutes > 0 ? '+' : '-'
  const abs = Math.abs(offsetMinutes)
  const hh = String(Math.floor(abs / 60)).padStart(2, '0')
  const mm = String(abs % 60).padStart(2, '0')
  return `${stamp}${sign}${hh}:${mm}`
}
