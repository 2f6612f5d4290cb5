import fs from 'node:fs'
import { promisify } from 'node:util'

import { fromNodeStats, type JailStats } from '../jail-stats.js'

// Descriptor-level calls on the callback API: fs/promises would wrap every fd in a FileHandle,
// whose lifetime (close on garbage collection) does not fit descriptors shared with the backend.
export const openFd = promisify(fs.open) as (
  path: string | Buffer,
  flags: number,
  mode?: number,
) => Promise<number>
export const closeFd = promisify(fs.close)
const fstatRaw = promisify(fs.fstat)

/** Writes at the current offset; resolves with the bytes written (maybe fewer than asked). */
export function writeFd(fd: number, buffer: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.write(fd, buffer, 0, buffer.length, null, (error, written) =>
      error ? reject(error) : resolve(written),
    )
  })
}

/** Writes at `position`; resolves with the bytes written (maybe fewer than asked). */
export function pwriteFd(fd: number, buffer: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.write(fd, buffer, 0, buffer.length, position, (error, written) =>
      error ? reject(error) : resolve(written),
    )
  })
}

/** Writes several buffers at the current offset in one call; resolves with the bytes written. */
export function writevFd(fd: number, buffers: readonly Uint8Array[]): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.writev(fd, buffers as NodeJS.ArrayBufferView[], (error, written) =>
      error ? reject(error) : resolve(written),
    )
  })
}

export async function fstatFd(fd: number): Promise<JailStats> {
  return fromNodeStats(await fstatRaw(fd))
}

/** Closes every descriptor, ignoring failures: for cleanup paths that already have an error. */
export async function closeQuietly(...fds: readonly (number | undefined)[]): Promise<void> {
  const open = fds.filter((fd): fd is number => fd !== undefined)
  await Promise.all(open.map((fd) => closeFd(fd).catch(() => undefined)))
}
