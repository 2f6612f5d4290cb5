import { constants } from 'node:fs'

import type { JailStats } from '../jail-stats.js'
import { encodeName } from '../name-bytes.js'

/**
 * How paths are resolved beneath the root: `openat2` with RESOLVE_BENEATH through the native
 * addon, or `walk`, a pure-JS walk that opens one component at a time without following links.
 */
export type JailMode = 'openat2' | 'walk'

/**
 * The file-descriptor primitives both modes provide, with the same semantics. Every `name` is a
 * single component (see isPlainName) and is never followed when it is a symlink; `dirFd` is a
 * descriptor the caller holds open for the duration of the call. Names and components are jail
 * names (name-bytes.ts): bytes that are not UTF-8 travel escaped and reach the kernel as they
 * were, so a name the game process made of any bytes can be named back.
 */
export interface Backend {
  readonly mode: JailMode
  /**
   * Opens `components` beneath `rootFd` with O_PATH (no read or write access, so opening never
   * has side effects, not even on a device or FIFO). Symlinks on the way are followed when their
   * target stays beneath the root; absolute or escaping ones fail with EXDEV. The last component
   * is followed only when `followLast`; otherwise a final symlink is opened as the link itself.
   * `directory` adds O_DIRECTORY (ENOTDIR for anything else).
   */
  openPath(
    rootFd: number,
    components: readonly string[],
    followLast: boolean,
    directory: boolean,
  ): Promise<number>
  /** Opens `name` in `dirFd` with `flags` (O_NOFOLLOW is always added). */
  openAt(dirFd: number, name: string, flags: number, mode: number): Promise<number>
  lstatAt(dirFd: number, name: string): Promise<JailStats>
  mkdirAt(dirFd: number, name: string, mode: number): Promise<void>
  /** Removes a file, symlink or other non-directory; with `directory`, an empty directory. */
  unlinkAt(dirFd: number, name: string, directory: boolean): Promise<void>
  /** Atomic rename; with `noReplace`, fails with EEXIST instead of replacing the target. */
  renameAt(
    fromDirFd: number,
    fromName: string,
    toDirFd: number,
    toName: string,
    noReplace: boolean,
  ): Promise<void>
  symlinkAt(target: string, dirFd: number, name: string): Promise<void>
  /** The link's target, as a jail name. */
  readlinkAt(dirFd: number, name: string): Promise<string>
}

/** O_PATH is not in node's fs.constants; its value is the same on every Linux port Node runs on. */
export const O_PATH = 0o10000000
export const O_NOFOLLOW = constants.O_NOFOLLOW
export const O_DIRECTORY = constants.O_DIRECTORY
export const O_NONBLOCK = constants.O_NONBLOCK

/** Linux's limit on symlinks followed while resolving one path. */
export const MAX_SYMLINKS = 40

/** The path that names what an open descriptor refers to, for calls Node has no fd form of. */
export function procFd(fd: number): string {
  return `/proc/self/fd/${fd}`
}

/** The path of the jail name `name` inside the directory open as `fd`: bytes when it must be. */
export function procPath(fd: number, name: string): string | Buffer {
  const bytes = encodeName(name)
  return typeof bytes === 'string'
    ? `/proc/self/fd/${fd}/${bytes}`
    : Buffer.concat([Buffer.from(`/proc/self/fd/${fd}/`), bytes])
}

/** A Node-style system error, so both modes fail with the same `code`s. */
export function systemError(code: string, syscall: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${syscall}`)
  error.code = code
  error.syscall = syscall
  return error
}
