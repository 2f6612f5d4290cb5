import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { getSystemErrorName } from 'node:util'

import { kindOf, type JailStats } from '../jail-stats.js'
import { decodeName, encodeName } from '../name-bytes.js'
import { type Backend, O_DIRECTORY, O_NOFOLLOW, O_PATH, systemError } from './backend.js'
import { WalkBackend } from './walk-backend.js'

/** A path or name as the addon takes it: a string (UTF-8), or the exact bytes. */
type NativeName = string | Buffer

/** The addon's surface (native/jail.cc). Every call settles on the libuv thread pool. */
export interface NativeBinding {
  openat2(
    dirFd: number,
    path: NativeName,
    flags: number,
    mode: number,
    resolve: number,
  ): Promise<number>
  fstatat(dirFd: number, name: NativeName, flags: number): Promise<readonly number[]>
  mkdirat(dirFd: number, name: NativeName, mode: number): Promise<number>
  unlinkat(dirFd: number, name: NativeName, flags: number): Promise<number>
  renameat2(
    fromDirFd: number,
    fromName: NativeName,
    toDirFd: number,
    toName: NativeName,
    flags: number,
  ): Promise<number>
  symlinkat(target: NativeName, dirFd: number, name: NativeName): Promise<number>
  /** The target's bytes. */
  readlinkat(dirFd: number, name: NativeName): Promise<Buffer>
  /** 0 when openat2 with RESOLVE_BENEATH works on this kernel, else an errno. */
  probe(): number
  /** Disk usage below `rootFd`: [bytes, files]. Synchronous: call it from a worker thread only. */
  duSync(rootFd: number): [number, number]
  readonly constants: Readonly<Record<string, number>>
}

let addonPath: string | undefined

/** Where the loaded addon lives (for worker threads to load it too), once it has loaded. */
export function nativeAddonPath(): string | undefined {
  return addonPath
}

/**
 * Where the addon may be, relative to src/backend/ or dist/backend/ (both two levels below the
 * package root), in order: built on this machine by the install script, then the one packed
 * into the package for this platform (scripts/build-native.mjs --prebuild), which an install
 * that runs no scripts still gets.
 */
const ADDON_FILES = [
  '../../build/Release/filesystem_jail.node',
  `../../prebuilds/${process.platform}-${process.arch}/filesystem_jail.node`,
]

/** Loads the addon; the reason it is unusable otherwise. */
export function loadNativeBinding(): { binding: NativeBinding; path: string } | { reason: string } {
  if (process.platform !== 'linux') return { reason: `not Linux (${process.platform})` }
  const require = createRequire(import.meta.url)
  const failures: string[] = []
  let loaded: { binding: NativeBinding; path: string } | undefined
  for (const file of ADDON_FILES) {
    const path = fileURLToPath(new URL(file, import.meta.url))
    if (!existsSync(path)) continue
    try {
      loaded = { binding: require(path) as NativeBinding, path }
      break
    } catch (error) {
      failures.push((error as Error).message.split('\n')[0] ?? String(error))
    }
  }
  if (!loaded) {
    if (failures.length > 0) return { reason: `native addon not loaded: ${failures.join('; ')}` }
    return {
      reason:
        'native addon not found: not built on install (build/Release/filesystem_jail.node) ' +
        `and none packed for ${process.platform}-${process.arch}`,
    }
  }
  const errno = loaded.binding.probe()
  if (errno !== 0) return { reason: `openat2 unavailable: ${getSystemErrorName(-errno)}` }
  addonPath = loaded.path
  return loaded
}

const AT_SYMLINK_NOFOLLOW = 0x100
const AT_REMOVEDIR = 0x200
const RENAME_NOREPLACE = 1
const RESOLVE_NO_MAGICLINKS = 0x02
const RESOLVE_NO_SYMLINKS = 0x04
const RESOLVE_BENEATH = 0x08
const BENEATH = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS

function rethrow(syscall: string): (error: unknown) => never {
  return (error: unknown) => {
    const errno = (error as { errno?: unknown } | null)?.errno
    if (typeof errno === 'number') throw systemError(getSystemErrorName(-errno), syscall)
    throw error
  }
}

/** The kernel does the confinement: openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS). */
export class NativeBackend implements Backend {
  readonly mode = 'openat2'
  readonly #native: NativeBinding

  constructor(binding: NativeBinding) {
    this.#native = binding
  }

  openPath(
    rootFd: number,
    components: readonly string[],
    followLast: boolean,
    directory: boolean,
  ): Promise<number> {
    const flags = O_PATH | (followLast ? 0 : O_NOFOLLOW) | (directory ? O_DIRECTORY : 0)
    const path = components.length === 0 ? '.' : components.join('/')
    return this.#native
      .openat2(rootFd, encodeName(path), flags, 0, BENEATH)
      .catch(rethrow('openat2'))
  }

  openAt(dirFd: number, name: string, flags: number, mode: number): Promise<number> {
    return this.#native
      .openat2(dirFd, encodeName(name), flags | O_NOFOLLOW, mode, BENEATH | RESOLVE_NO_SYMLINKS)
      .catch(rethrow('openat2'))
  }

  async lstatAt(dirFd: number, name: string): Promise<JailStats> {
    const f = await this.#native
      .fstatat(dirFd, encodeName(name), AT_SYMLINK_NOFOLLOW)
      .catch(rethrow('fstatat'))
    const [dev, ino, mode, nlink, uid, gid, , size, , atimeMs, mtimeMs, ctimeMs] = f as number[]
    return {
      kind: kindOf(mode!),
      mode: mode!,
      size: size!,
      nlink: nlink!,
      uid: uid!,
      gid: gid!,
      dev: dev!,
      ino: ino!,
      atimeMs: atimeMs!,
      mtimeMs: mtimeMs!,
      ctimeMs: ctimeMs!,
    }
  }

  async mkdirAt(dirFd: number, name: string, mode: number): Promise<void> {
    await this.#native.mkdirat(dirFd, encodeName(name), mode).catch(rethrow('mkdirat'))
  }

  async unlinkAt(dirFd: number, name: string, directory: boolean): Promise<void> {
    await this.#native
      .unlinkat(dirFd, encodeName(name), directory ? AT_REMOVEDIR : 0)
      .catch(rethrow('unlinkat'))
  }

  async renameAt(
    fromDirFd: number,
    fromName: string,
    toDirFd: number,
    toName: string,
    noReplace: boolean,
  ): Promise<void> {
    try {
      await this.#native
        .renameat2(
          fromDirFd,
          encodeName(fromName),
          toDirFd,
          encodeName(toName),
          noReplace ? RENAME_NOREPLACE : 0,
        )
        .catch(rethrow('renameat2'))
    } catch (error) {
      // A filesystem without RENAME_NOREPLACE: the walk mode's link-then-unlink does the same.
      if (!noReplace || (error as NodeJS.ErrnoException).code !== 'EINVAL') throw error
      await new WalkBackend().renameAt(fromDirFd, fromName, toDirFd, toName, true)
    }
  }

  async symlinkAt(target: string, dirFd: number, name: string): Promise<void> {
    await this.#native
      .symlinkat(encodeName(target), dirFd, encodeName(name))
      .catch(rethrow('symlinkat'))
  }

  async readlinkAt(dirFd: number, name: string): Promise<string> {
    const target = await this.#native
      .readlinkat(dirFd, encodeName(name))
      .catch(rethrow('readlinkat'))
    return decodeName(target)
  }
}
