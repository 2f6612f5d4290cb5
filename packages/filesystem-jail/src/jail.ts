import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { Readable } from 'node:stream'

import {
  BadRequestError,
  type Clock,
  type Logger,
  nullLogger,
  systemClock,
} from '@node/shared-kernel'

import {
  type Backend,
  type JailMode,
  O_DIRECTORY,
  O_NONBLOCK,
  O_PATH,
  procFd,
  procPath,
} from './backend/backend.js'
import { closeFd, closeQuietly, fstatFd, openFd } from './backend/fd.js'
import { readDirectory } from './backend/read-directory.js'
import { type JailBackend, selectBackend } from './backend/select-backend.js'
import { copyNameCandidates } from './copy-name.js'
import { Denylist } from './denylist.js'
import { DiskUsage, type UsageFreshness } from './disk-usage.js'
import {
  errnoOf,
  JAIL_MESSAGES,
  jailError,
  JailFault,
  jailFaultOf,
  translateError,
} from './errors.js'
import { isPlainName, type JailPath, parseJailPath } from './jail-path.js'
import type { JailStats } from './jail-stats.js'
import { JailWriteHandle } from './jail-write-handle.js'
import { JailWriteStream, type WriteTarget } from './jail-write-stream.js'
import { mapLimited } from './map-limited.js'
import { decodeName, lossyName, mayBeLossy } from './name-bytes.js'
import { Quota } from './quota.js'
import type { VolumeReserve } from './volume-reserve.js'
import { walkDiskUsage } from './walk-disk-usage.js'

/** The uid and gid given to everything the jail creates (Wings: the daemon's user). */
export interface JailOwner {
  readonly uid: number
  readonly gid: number
}

export interface JailOptions {
  /** `system.openat_mode`: `auto` (default) takes `openat2` when the addon and kernel allow. */
  readonly mode?: JailMode | 'auto'
  /** The egg's `file_denylist` (gitignore patterns). */
  readonly denylist?: readonly string[]
  /** Owner of created files and directories; unset leaves the process's own. */
  readonly owner?: JailOwner
  /** `build.disk_space` in bytes: 0 (default) is unlimited, negative refuses every write. */
  readonly diskLimitBytes?: number
  /** `system.disk_check_interval` in ms (default 150 000); 0 disables usage walks. */
  readonly diskCheckIntervalMs?: number
  /**
   * The node's free-space reserve (`system.disk_reserve`), shared by every jail on the volume:
   * no write through this jail may leave less free space than it keeps.
   */
  readonly reserve?: VolumeReserve
  readonly clock?: Clock
  readonly logger?: Logger
}

export interface WriteOptions {
  /** Bytes that will be written, when known (Content-Length): admitted by the quota up front. */
  readonly size?: number
  /** Permission bits; default those of the file replaced, else 0o644. */
  readonly mode?: number
  /** Modification (and access) time to give the file, e.g. from an archive entry. */
  readonly mtime?: Date
  /** Create missing parent directories (0755), as every write endpoint does. Default true. */
  readonly createParents?: boolean
  /** Fail with the `exists` error instead of replacing an existing file. */
  readonly exclusive?: boolean
  /**
   * Keep the finished file under its temporary name until `commit()` (JailWriteStream), so a
   * caller can check several files before any of them appears. Default false.
   */
  readonly staged?: boolean
}

export interface ReadOptions {
  /** Chunk size of the returned stream (default 512 KiB). */
  readonly highWaterMark?: number
}

/** A regular file opened for reading: exactly `size` bytes (its size when opened) will flow. */
export interface JailReadable {
  readonly stream: Readable
  readonly size: number
  readonly stats: JailStats
}

export interface JailEntry {
  /**
   * The entry's name, lossless: bytes that are not UTF-8 are carried as escapes, so the name can
   * be passed back to the jail as it is. Show it (and send it on the wire) through `lossyName`.
   */
  readonly name: string
  readonly stats: JailStats
}

export interface ListOptions {
  /** Entries read and stat'ed per step (default 256): bounds memory for huge directories. */
  readonly batchSize?: number
}

/** A directory opened for a walk below it (archives); see Jail.openDirectory. */
export interface JailDirectory {
  /** An O_PATH descriptor of the directory: no read access; names below it are opened `*at`. */
  readonly fd: number
  /** Where it really is, relative to the root (symlinks on the way resolved). */
  readonly realPath: string
  /** Closes the descriptor; call once the walk is over. */
  close(): Promise<void>
}

/** What a removal freed. */
export interface RemoveResult {
  /** Bytes of regular files whose last link was removed. */
  readonly freedBytes: number
}

const DEFAULT_DISK_CHECK_INTERVAL_MS = 150_000
const DIR_MODE = 0o755
const FILE_MODE = 0o644
const STAT_CONCURRENCY = 32
const REMOVE_CONCURRENCY = 8
/**
 * Directory levels a walk (removal, deny-list search) holds one descriptor each for, as the usage
 * walk does; a hostile tree thousands of levels deep cannot exhaust descriptors below it.
 */
const MAX_HELD_DEPTH = 128
/** Components resolved per openPath when a deep path is reopened. */
const PATH_CHUNK = 32

/** What one removal has freed and met; `top` and `moved` are set while a directory is removed. */
interface RemoveState {
  freed: number
  denied: string | undefined
  /** The directory being removed (a descriptor), into which too-deep subtrees are moved. */
  top?: number
  /** Subtrees moved into `top` under temporary names, still to be removed. */
  moved?: { name: string; stats: JailStats; relative: string }[]
}

/**
 * One server's files, every operation confined to `root`. Built on descriptors: each path is
 * resolved beneath the root's descriptor (openat2 RESOLVE_BENEATH, or a component-wise walk),
 * the last component is never followed, content is only ever opened on regular files, and writes
 * land through a temporary file renamed into place. See README.md for the threat model.
 */
export class Jail {
  readonly root: string
  readonly quota: Quota
  /** Which implementation runs this jail: the native addon (`openat2`) or the pure-JS `walk`. */
  readonly backend: JailBackend
  readonly #backend: Backend
  readonly #rootFd: number
  readonly #rootReal: string
  readonly #owner: JailOwner | undefined
  readonly #clock: Clock
  readonly #logger: Logger
  #denylist: Denylist
  #active = 0
  #closed = false
  #drained: (() => void) | undefined

  private constructor(init: {
    root: string
    rootFd: number
    rootReal: string
    backend: Backend
    backendInfo: JailBackend
    options: JailOptions
  }) {
    const { options } = init
    this.root = init.root
    this.#rootFd = init.rootFd
    this.#rootReal = init.rootReal
    this.#backend = init.backend
    this.backend = init.backendInfo
    this.#owner = options.owner
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? nullLogger
    this.#denylist = new Denylist(options.denylist)
    const usage = new DiskUsage({
      walk: () =>
        this.#withRoot(
          async (fd) => (await walkDiskUsage(fd, { native: this.mode === 'openat2' })).bytes,
        ),
      intervalMs: options.diskCheckIntervalMs ?? DEFAULT_DISK_CHECK_INTERVAL_MS,
      clock: this.#clock,
      logger: this.#logger,
    })
    this.quota = new Quota({
      limitBytes: options.diskLimitBytes ?? 0,
      usage,
      ...(options.reserve ? { reserve: options.reserve } : {}),
    })
  }

  /** Opens the jail on an existing directory (the server's data directory, trusted config). */
  static async open(root: string, options: JailOptions = {}): Promise<Jail> {
    if (options.owner) checkOwner(options.owner.uid, options.owner.gid)
    const { backend, info } = await selectBackend(options.mode ?? 'auto')
    await options.reserve?.ready()
    const rootFd = await openFd(root, O_PATH | O_DIRECTORY)
    try {
      const rootReal = decodeName(await fs.readlink(procFd(rootFd), { encoding: 'buffer' }))
      return new Jail({ root, rootFd, rootReal, backend, backendInfo: info, options })
    } catch (error) {
      await closeQuietly(rootFd)
      throw error
    }
  }

  /** How paths are resolved here: `openat2` (native addon) or `walk` (pure JS). */
  get mode(): JailMode {
    return this.#backend.mode
  }

  get denylist(): Denylist {
    return this.#denylist
  }

  /** The uid and gid given to everything the jail creates (the user game servers run as). */
  get owner(): JailOwner | undefined {
    return this.#owner
  }

  /** The egg changed: new `file_denylist` patterns apply to operations that start from now. */
  setDenylist(patterns: readonly string[]): void {
    this.#denylist = new Denylist(patterns)
  }

  /** The usage in bytes (behaviour §8.3); `fresh` walks first when the cached value is stale. */
  diskUsage(freshness: UsageFreshness = 'stale-ok'): Promise<number> {
    return this.quota.usage.get(freshness)
  }

  /** The metadata of `path` itself (a final symlink is described, not followed). */
  async stat(path: string): Promise<JailStats> {
    const p = parseJailPath(path)
    return this.#run(p, async (rootFd) => {
      if (p.components.length === 0) return fstatFd(rootFd)
      const { dirFd, name } = await this.#parentOf(rootFd, p, false)
      try {
        return await this.#backend.lstatAt(dirFd, name)
      } finally {
        await closeQuietly(dirFd)
      }
    })
  }

  /** Whether `path` exists (as anything, a dangling symlink included). */
  async exists(path: string): Promise<boolean> {
    try {
      await this.stat(path)
      return true
    } catch (error) {
      const reason = jailFaultOf(error)?.reason
      if (reason === 'not_found' || reason === 'not_directory') return false
      throw error
    }
  }

  /**
   * The entries of the directory `path`, with lstat metadata, streamed in batches so that a
   * directory of any size keeps memory flat. Entries are never followed; order is the
   * directory's own. A final symlink is not followed, so it is not listed (404).
   */
  async *list(path: string, options: ListOptions = {}): AsyncGenerator<JailEntry> {
    const p = parseJailPath(path)
    const batchSize = Math.max(1, options.batchSize ?? 256)
    const rootFd = this.#acquire(p)
    let dirFd: number | undefined
    try {
      const components = await this.#onDisk(rootFd, p.components)
      dirFd = await this.#backend.openPath(rootFd, components, false, true)
      let names: string[] = []
      for await (const entry of readDirectory(dirFd, batchSize)) {
        names.push(entry.name)
        if (names.length >= batchSize) {
          yield* await this.#statAll(dirFd, names)
          names = []
        }
      }
      yield* await this.#statAll(dirFd, names)
    } catch (error) {
      throw translateError(error, p.input)
    } finally {
      await closeQuietly(dirFd)
      this.#release()
    }
  }

  /**
   * Opens the directory `path` for the archive engine's workers, which walk or write below it
   * with *at calls: an O_PATH descriptor, so nothing can be read through it but names. The last
   * component is never followed; with `create`, missing directories are made (0755, owned by
   * `owner`) as a write's parents are, links on the way followed beneath the root. The caller
   * closes it.
   */
  async openDirectory(
    path: string,
    options: { readonly create?: boolean } = {},
  ): Promise<JailDirectory> {
    const p = parseJailPath(path)
    return this.#run(p, async (rootFd) => {
      const components = await this.#onDisk(rootFd, p.components)
      const fd = options.create
        ? await this.#mkdirs(rootFd, components)
        : await this.#backend.openPath(rootFd, components, false, true)
      try {
        const realPath = await this.#relativeOf(fd, p)
        let closed = false
        const close = async (): Promise<void> => {
          if (closed) return
          closed = true
          await closeQuietly(fd)
        }
        return { fd, realPath, close }
      } catch (error) {
        await closeQuietly(fd)
        throw error
      }
    })
  }

  /**
   * Creates the symlink `linkPath` → `target`, never replacing anything. `target` is a jail path
   * (absolute from the root, or relative to the link's directory) and must stay inside the root
   * when resolved lexically (else `outside_root`); an absolute one is stored relative to the
   * link's directory, so the link means the same to the jail and to the server's process. Parents of the link must
   * exist; the deny list is checked on the link's path; the link is owned by `owner`.
   */
  async symlink(target: string, linkPath: string): Promise<void> {
    const p = parseJailPath(linkPath)
    if (p.components.length === 0) throw jailError('exists', p.input)
    const parent = p.components.slice(0, -1)
    if (typeof target !== 'string' || target === '') throw jailError('bad_path', String(target))
    const resolved = target.startsWith('/')
      ? parseJailPath(target)
      : parseJailPath(parent.join('/'), target)
    // An absolute target names a path from the root: stored relative, as the server sees it.
    const stored = target.startsWith('/') ? relativeTarget(parent, resolved.components) : target
    this.#checkDeniedPath(p, false)
    await this.#run(p, async (rootFd) => {
      const { dirFd, name } = await this.#parentOf(rootFd, p, false)
      try {
        await this.#checkDenied(p, dirFd, name, false)
        await this.#backend.symlinkAt(stored, dirFd, name).catch((error: unknown) => {
          if (errnoOf(error) === 'EEXIST') throw jailError('exists', p.input, { cause: error })
          throw error
        })
        if (this.#owner) {
          await fs.lchown(procPath(dirFd, name), this.#owner.uid, this.#owner.gid)
        }
      } finally {
        await closeQuietly(dirFd)
      }
    })
  }

  /**
   * The target of the symlink `path` (its last component never followed), as a path from the
   * root (`/plugins/x.jar`). A target that leaves the root (absolute, or climbing above it) is
   * `outside_root`; anything but a symlink is `not_found`.
   */
  async readlink(path: string): Promise<string> {
    const p = parseJailPath(path)
    if (p.components.length === 0) throw jailError('not_found', p.input)
    const target = await this.#run(p, async (rootFd) => {
      const { dirFd, name } = await this.#parentOf(rootFd, p, false)
      try {
        return await this.#backend.readlinkAt(dirFd, name).catch((error: unknown) => {
          if (errnoOf(error) === 'EINVAL') throw jailError('not_found', p.input, { cause: error })
          throw error
        })
      } finally {
        await closeQuietly(dirFd)
      }
    })
    if (target.startsWith('/') || target === '') throw jailError('outside_root', p.input)
    return `/${parseJailPath(p.components.slice(0, -1).join('/'), target).relative}`
  }

  /**
   * Opens a regular file for random-access reading (zip archives), with the checks of
   * `openRead`. The caller owns the handle and must close it.
   */
  async openHandle(path: string): Promise<{ handle: fs.FileHandle; stats: JailStats }> {
    const p = parseJailPath(path)
    if (p.components.length === 0) throw jailError('is_directory', p.input)
    return this.#run(p, async (rootFd) => {
      const { dirFd, name } = await this.#parentOf(rootFd, p, false)
      let pathFd: number | undefined
      try {
        pathFd = await this.#backend.openAt(dirFd, name, O_PATH, 0)
        const stats = await fstatFd(pathFd)
        refuseUnlessRegular(stats, p, 'read')
        await this.#checkDenied(p, dirFd, name, false)
        // Reopening the O_PATH descriptor reaches the very inode just checked; no path is
        // resolved again. O_NONBLOCK: belt and braces, a FIFO could never block the pool.
        const handle = await fs.open(procFd(pathFd), fs.constants.O_RDONLY | O_NONBLOCK)
        return { handle, stats }
      } finally {
        await closeQuietly(pathFd, dirFd)
      }
    })
  }

  /**
   * Opens a regular file for reading. Symlinks (as the last component), directories, FIFOs,
   * devices, sockets and files with more than one hard link are refused without ever being
   * opened for reading. The stream owns a descriptor: consume or destroy it.
   */
  async openRead(path: string, options: ReadOptions = {}): Promise<JailReadable> {
    const { handle, stats } = await this.openHandle(path)
    const stream =
      stats.size === 0
        ? Readable.from([])
        : handle.createReadStream({
            start: 0,
            end: stats.size - 1,
            highWaterMark: options.highWaterMark ?? 512 * 1024,
          })
    if (stats.size === 0) await handle.close()
    return { stream, size: stats.size, stats }
  }

  /**
   * Opens `path` for writing through a temporary file (see JailWriteStream). Refuses a
   * directory, a symlink, a FIFO or device in the way, and a denied path; admits `size` (when
   * given) against the quota before anything is written.
   */
  async openWrite(path: string, options: WriteOptions = {}): Promise<JailWriteStream> {
    return new JailWriteStream(await this.#openTemp(path, options))
  }

  /**
   * Opens `path` for writes at any offset (SFTP), through a temporary file as openWrite: the
   * quota admits only growth beyond the highest byte written so far; `commit()` gives the file its
   * name, `abort()` (or a failed commit) leaves nothing behind. The refusals of openWrite apply.
   */
  async openWriteHandle(
    path: string,
    options: Omit<WriteOptions, 'staged' | 'size'> = {},
  ): Promise<JailWriteHandle> {
    return new JailWriteHandle(await this.#openTemp(path, options))
  }

  /** Everything a write through a temporary file needs: refusals checked, the file created. */
  async #openTemp(path: string, options: WriteOptions): Promise<WriteTarget> {
    const p = parseJailPath(path)
    if (p.components.length === 0) throw jailError('is_directory', p.input)
    if (options.mode !== undefined) checkMode(options.mode)
    if (options.size !== undefined && !(Number.isSafeInteger(options.size) && options.size >= 0)) {
      throw new RangeError(`bad size: ${options.size}`)
    }
    this.#checkDeniedPath(p, false)
    return this.#run(p, async (rootFd) => {
      const { dirFd, name } = await this.#parentOf(rootFd, p, options.createParents ?? true)
      let fd: number | undefined
      let tempName: string | undefined
      let reservation
      try {
        await this.#checkDenied(p, dirFd, name, false)
        const existing = await this.#lstatMaybe(dirFd, name)
        if (existing) {
          if (existing.kind === 'directory') throw jailError('is_directory', p.input)
          refuseUnlessRegular(existing, p, 'replace')
          if (options.exclusive) throw jailError('exists', p.input)
        }
        // A file with other links keeps its bytes on disk when this name is replaced.
        const freed = existing?.kind === 'file' && existing.nlink === 1 ? existing.size : 0
        reservation = this.quota.reserve(Math.max(0, (options.size ?? 0) - freed), p.input)
        tempName = temporaryName()
        fd = await this.#backend.openAt(
          dirFd,
          tempName,
          fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL,
          0o600,
        )
        return {
          backend: this.#backend,
          dirFd,
          name,
          tempName,
          fd,
          path: p.input,
          mode: options.mode ?? (existing ? existing.mode & 0o777 : FILE_MODE),
          owner: this.#owner,
          mtime: options.mtime,
          exclusive: options.exclusive ?? false,
          freed,
          reservation,
          staged: options.staged ?? false,
        }
      } catch (error) {
        reservation?.release()
        await closeQuietly(fd)
        if (fd !== undefined && tempName !== undefined) {
          await this.#backend.unlinkAt(dirFd, tempName, false).catch(() => undefined)
        }
        await closeQuietly(dirFd)
        throw error
      }
    })
  }

  /**
   * Writes `data` to `path` (openWrite, then the data piped in). Resolves with the written
   * file's metadata; on any failure nothing is left behind and the previous file is intact.
   */
  async writeFile(
    path: string,
    data: string | Uint8Array | Readable | AsyncIterable<Uint8Array>,
    options: WriteOptions & { readonly signal?: AbortSignal } = {},
  ): Promise<JailStats> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    const size = bytes instanceof Uint8Array ? bytes.length : options.size
    const writer = await this.openWrite(path, { ...options, size })
    const source = bytes instanceof Uint8Array ? Readable.from([bytes]) : bytes
    await writer.pipeFrom(source, options.signal)
    return writer.stats ?? (await this.stat(path))
  }

  /** `mkdir -p`: creates `path` and missing parents (0755, owned by `owner`). */
  async mkdirp(path: string): Promise<void> {
    const p = parseJailPath(path)
    await this.#run(p, async (rootFd) => {
      try {
        await closeFd(await this.#mkdirs(rootFd, await this.#onDisk(rootFd, p.components)))
      } catch (error) {
        if (errnoOf(error) !== 'ENOTDIR' && errnoOf(error) !== 'EEXIST') throw error
        const last = await this.stat(path).catch(() => undefined)
        const message =
          last && last.kind !== 'directory'
            ? JAIL_MESSAGES.mkdirFileExists
            : JAIL_MESSAGES.mkdirNotDirectory
        throw new BadRequestError(message, {
          cause: new JailFault('not_directory', p.input, { cause: error }),
        })
      }
    })
  }

  /**
   * Renames (moves) `from` to `to`, creating missing parents of `to`. Never replaces: an
   * existing `to` fails with the spec's "destination already exists". A directory moves only
   * when nothing beneath it is denied, under its old name or its new one.
   */
  async rename(from: string, to: string): Promise<void> {
    const a = parseJailPath(from)
    const b = parseJailPath(to)
    if (a.components.length === 0) throw jailError('root', a.input)
    if (b.components.length === 0) throw jailError('root', b.input)
    if (a.relative === b.relative) return
    await this.#run(a, async (rootFd) => {
      const src = await this.#parentOf(rootFd, a, false)
      let dst: { dirFd: number; name: string } | undefined
      try {
        const stats = await this.#backend.lstatAt(src.dirFd, src.name)
        const isDir = stats.kind === 'directory'
        // Refused before any parent of `to` is made; through a link the kernel says so (EINVAL).
        if (isDir && b.relative.startsWith(`${a.relative}/`))
          throw jailError('into_itself', b.input)
        this.#checkDeniedPath(a, isDir)
        this.#checkDeniedPath(b, isDir)
        const realA = await this.#checkDenied(a, src.dirFd, src.name, isDir)
        dst = await this.#parentOf(rootFd, b, true)
        const realB = await this.#checkDenied(b, dst.dirFd, dst.name, isDir)
        if (await this.#lstatMaybe(dst.dirFd, dst.name)) throw jailError('exists', b.input)
        if (isDir && !this.#denylist.empty) {
          const fd = await this.#backend.openAt(src.dirFd, src.name, O_PATH | O_DIRECTORY, 0)
          try {
            const prefixes = new Set([a.relative, realA, b.relative, realB])
            const denied = await this.#findDenied(fd, [...prefixes])
            if (denied !== undefined) throw jailError('denied', denied)
          } finally {
            await closeQuietly(fd)
          }
        }
        await this.#backend
          .renameAt(src.dirFd, src.name, dst.dirFd, dst.name, true)
          .catch((error: unknown) => {
            if (errnoOf(error) === 'EEXIST') throw jailError('exists', b.input, { cause: error })
            if (isDir && errnoOf(error) === 'EINVAL') {
              throw jailError('into_itself', b.input, { cause: error })
            }
            throw error
          })
      } finally {
        await closeQuietly(src.dirFd, dst?.dirFd)
      }
    })
  }

  /**
   * Copies the regular file `path` next to itself under the first free name of
   * copyNameCandidates (or `options.name` in the same directory), same permission bits, owned
   * by `owner`. The quota must admit the whole size. Resolves with the copy's path.
   */
  async copy(path: string, options: { readonly name?: string } = {}): Promise<string> {
    const p = parseJailPath(path)
    if (p.components.length === 0) throw jailError('not_found', p.input)
    if (options.name !== undefined && !isPlainName(options.name)) {
      throw jailError('bad_path', options.name)
    }
    return this.#run(p, async (rootFd) => {
      const { dirFd, name } = await this.#parentOf(rootFd, p, false)
      const parent = p.components.slice(0, -1)
      let srcFd: number | undefined
      let tempName: string | undefined
      let reservation
      try {
        srcFd = await this.#backend.openAt(dirFd, name, O_PATH, 0)
        const stats = await fstatFd(srcFd)
        // As the reference: anything but a regular file is "not found" for copy.
        if (stats.kind !== 'file') throw jailError('not_found', p.input)
        refuseUnlessRegular(stats, p, 'read')
        this.#checkDeniedPath(p, false)
        await this.#checkDenied(p, dirFd, name, false)
        const candidates = options.name
          ? [options.name]
          : copyNameCandidates(name, new Date(this.#clock.now()))
        reservation = this.quota.reserve(stats.size, p.input)
        reservation.admitWrite(stats.size)
        tempName = temporaryName()
        await fs.copyFile(procFd(srcFd), procPath(dirFd, tempName), fs.constants.COPYFILE_EXCL)
        const tempFd = await this.#backend.openAt(dirFd, tempName, O_PATH, 0)
        try {
          await this.#setOwnerAndMode(tempFd, stats.mode & 0o777)
        } finally {
          await closeQuietly(tempFd)
        }
        const copied = await this.#backend.lstatAt(dirFd, tempName)
        for (const candidate of candidates) {
          const target = parseJailPath([...parent, candidate].join('/'))
          this.#checkDeniedPath(target, false)
          await this.#checkDenied(target, dirFd, candidate, false)
          try {
            await this.#backend.renameAt(dirFd, tempName, dirFd, candidate, true)
          } catch (error) {
            if (errnoOf(error) === 'EEXIST' && candidate !== candidates.at(-1)) continue
            throw errnoOf(error) === 'EEXIST' ? jailError('exists', target.input) : error
          }
          tempName = undefined
          reservation.commit(copied.size)
          return target.relative
        }
        throw jailError('exists', p.input)
      } catch (error) {
        reservation?.release()
        if (tempName !== undefined) {
          await this.#backend.unlinkAt(dirFd, tempName, false).catch(() => undefined)
        }
        throw error
      } finally {
        await closeQuietly(srcFd, dirFd)
      }
    })
  }

  /**
   * `rm -rf` without following links: a symlink is removed, never its target. A missing path
   * is not an error. The root itself is refused. With a denylist, a directory holding a denied
   * entry is refused whole before anything is removed. The usage drops by the bytes freed.
   */
  async remove(path: string): Promise<RemoveResult> {
    const p = parseJailPath(path)
    if (p.components.length === 0) throw jailError('root', p.input)
    return this.#run(p, async (rootFd) => {
      let parent
      try {
        parent = await this.#parentOf(rootFd, p, false)
      } catch (error) {
        const code = errnoOf(error)
        if (code === 'ENOENT' || code === 'ENOTDIR') return { freedBytes: 0 }
        throw error
      }
      const { dirFd, name } = parent
      try {
        const stats = await this.#lstatMaybe(dirFd, name)
        if (stats === undefined) return { freedBytes: 0 }
        const isDir = stats.kind === 'directory'
        this.#checkDeniedPath(p, isDir)
        const real = await this.#checkDenied(p, dirFd, name, isDir)
        if (isDir && !this.#denylist.empty) {
          const fd = await this.#backend.openAt(dirFd, name, O_PATH | O_DIRECTORY, 0)
          try {
            const denied = await this.#findDenied(fd, [...new Set([p.relative, real])])
            if (denied !== undefined) throw jailError('denied', denied)
          } finally {
            await closeQuietly(fd)
          }
        }
        const state: RemoveState = { freed: 0, denied: undefined }
        try {
          await this.#removeEntry(dirFd, name, stats, real, state)
        } finally {
          this.quota.usage.adjust(-state.freed)
        }
        if (state.denied !== undefined) throw jailError('denied', state.denied)
        return { freedBytes: state.freed }
      } finally {
        await closeQuietly(dirFd)
      }
    })
  }

  /**
   * Sets the permission bits (0o777 mask: set-id and sticky bits are dropped) of a file or
   * directory. Symlinks, special files and multiply-linked files are refused.
   */
  async chmod(path: string, mode: number): Promise<void> {
    checkMode(mode)
    await this.#onInode(path, (fd) => fs.chmod(procFd(fd), mode & 0o777))
  }

  /** Sets the owner of a file or directory; same refusals as chmod. */
  async chown(path: string, uid: number, gid: number): Promise<void> {
    checkOwner(uid, gid)
    await this.#onInode(path, (fd) => fs.chown(procFd(fd), uid, gid))
  }

  /**
   * Closes the root descriptor once running operations finish; later calls fail. Streams
   * already returned keep working.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#active > 0) await new Promise<void>((resolve) => (this.#drained = resolve))
    await closeFd(this.#rootFd)
  }

  // ----------------------------------------------------------------------------------------

  /** Runs `fn` holding the root descriptor, translating system errors for `p`. */
  async #run<T>(p: JailPath, fn: (rootFd: number) => Promise<T>): Promise<T> {
    const rootFd = this.#acquire(p)
    try {
      return await fn(rootFd)
    } catch (error) {
      throw translateError(error, p.input)
    } finally {
      this.#release()
    }
  }

  #withRoot<T>(fn: (rootFd: number) => Promise<T>): Promise<T> {
    return this.#run(parseJailPath(''), fn)
  }

  /**
   * `components` with each lossy spelling replaced by the name on disk it stands for. A listing
   * shows a name that is not UTF-8 with U+FFFD for each byte that is not (lossyName), and the
   * client sends it back so: such a component is looked up in its directory, and when exactly
   * one entry reads that way it is named by its real bytes. A component that exists as written,
   * or that reads the same as no entry or several, stays as written (and is then found, or not).
   */
  async #onDisk(rootFd: number, components: readonly string[]): Promise<readonly string[]> {
    if (!components.some(mayBeLossy)) return components
    const resolved: string[] = []
    for (const component of components) {
      resolved.push(
        mayBeLossy(component) ? await this.#nameOnDisk(rootFd, resolved, component) : component,
      )
    }
    return resolved
  }

  async #nameOnDisk(rootFd: number, parent: readonly string[], shown: string): Promise<string> {
    let dirFd: number
    try {
      dirFd = await this.#backend.openPath(rootFd, parent, true, true)
    } catch {
      return shown
    }
    try {
      if (await this.#lstatMaybe(dirFd, shown)) return shown
      let match: string | undefined
      for await (const { name } of readDirectory(dirFd)) {
        if (name === shown || lossyName(name) !== shown) continue
        if (match !== undefined) return shown
        match = name
      }
      return match ?? shown
    } finally {
      await closeQuietly(dirFd)
    }
  }

  // The root descriptor is closed only when no operation holds it: a number closed under a
  // running operation could be reused by another open and name a different directory.
  #acquire(p: JailPath): number {
    if (this.#closed) throw jailError('closed', p.input)
    this.#active += 1
    return this.#rootFd
  }

  #release(): void {
    this.#active -= 1
    if (this.#active === 0 && this.#drained) this.#drained()
  }

  /** Opens the parent directory of `p` (creating it when `create`); the caller closes `dirFd`. */
  async #parentOf(
    rootFd: number,
    p: JailPath,
    create: boolean,
  ): Promise<{ dirFd: number; name: string }> {
    const components = await this.#onDisk(rootFd, p.components)
    const name = components.at(-1)
    if (name === undefined) throw jailError('root', p.input)
    const parent = components.slice(0, -1)
    const dirFd = create
      ? await this.#mkdirs(rootFd, parent)
      : await this.#backend.openPath(rootFd, parent, true, true)
    return { dirFd, name }
  }

  /** Opens the directory `components`, creating what is missing; symlinks inside are followed. */
  async #mkdirs(rootFd: number, components: readonly string[]): Promise<number> {
    try {
      return await this.#backend.openPath(rootFd, components, true, true)
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error
    }
    // Slow path: find and create the missing components one by one. Each prefix is resolved
    // from the root, so links inside keep their RESOLVE_BENEATH meaning.
    let dirFd = await this.#backend.openPath(rootFd, [], true, true)
    try {
      for (let i = 0; i < components.length; i++) {
        const name = components[i]!
        let next: number
        try {
          next = await this.#backend.openPath(rootFd, components.slice(0, i + 1), true, true)
        } catch (error) {
          if (errnoOf(error) !== 'ENOENT') throw error
          const created = await this.#backend.mkdirAt(dirFd, name, DIR_MODE).then(
            () => true,
            (e: unknown) => {
              if (errnoOf(e) === 'EEXIST') return false
              throw e
            },
          )
          // What we just made is opened by name, without following: a link swapped in fails.
          next = await this.#backend.openAt(dirFd, name, O_PATH | O_DIRECTORY, 0)
          if (created) {
            // Exactly 0755 whatever the umask, owned by the daemon user (behaviour §8.1).
            const fd = next
            await this.#setOwnerAndMode(fd, DIR_MODE).catch(async (e: unknown) => {
              await closeQuietly(fd)
              throw e
            })
          }
        }
        await closeQuietly(dirFd)
        dirFd = next
      }
      return dirFd
    } catch (error) {
      await closeQuietly(dirFd)
      throw error
    }
  }

  async #setOwnerAndMode(fd: number, mode: number): Promise<void> {
    await fs.chmod(procFd(fd), mode)
    if (this.#owner) await fs.chown(procFd(fd), this.#owner.uid, this.#owner.gid)
  }

  async #lstatMaybe(dirFd: number, name: string): Promise<JailStats | undefined> {
    try {
      return await this.#backend.lstatAt(dirFd, name)
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined
      throw error
    }
  }

  async #statAll(dirFd: number, names: readonly string[]): Promise<JailEntry[]> {
    const out: (JailEntry | undefined)[] = new Array<JailEntry | undefined>(names.length)
    await mapLimited(names, STAT_CONCURRENCY, async (name, i) => {
      const stats = await this.#lstatMaybe(dirFd, name)
      if (stats) out[i] = { name, stats }
    })
    return out.filter((e): e is JailEntry => e !== undefined)
  }

  /** The denylist against the path as the caller wrote it (lexically resolved). */
  #checkDeniedPath(p: JailPath, isDir: boolean): void {
    if (this.#denylist.isDenied(p.relative, isDir)) throw jailError('denied', p.input)
  }

  /**
   * The denylist against where `name` in `dirFd` really is, after symlinks on the way were
   * followed: a denied file cannot be reached through another path either. Resolves with that
   * canonical path (relative to the root), or with `p.relative` when there is no denylist.
   */
  async #checkDenied(p: JailPath, dirFd: number, name: string, isDir: boolean): Promise<string> {
    if (this.#denylist.empty) return p.relative
    this.#checkDeniedPath(p, isDir)
    const dir = await this.#relativeOf(dirFd, p)
    const relative = dir === '' ? name : `${dir}/${name}`
    if (this.#denylist.isDenied(relative, isDir)) throw jailError('denied', p.input)
    return relative
  }

  /** Where the directory `dirFd` really is, relative to the root ('' for the root itself). */
  async #relativeOf(dirFd: number, p: JailPath): Promise<string> {
    // The kernel's name for the directory we hold (d_path), not a path we resolved ourselves.
    const dir = decodeName(await fs.readlink(procFd(dirFd), { encoding: 'buffer' }))
    if (dir === this.#rootReal) return ''
    if (dir.startsWith(`${this.#rootReal}/`)) return dir.slice(this.#rootReal.length + 1)
    throw jailError('outside_root', p.input)
  }

  /**
   * The first entry beneath the directory `fd` denied under any of the `prefixes`. Each
   * directory is read whole before its subdirectories are entered; down to MAX_HELD_DEPTH each
   * level holds a descriptor, deeper ones are reopened by path beneath the deepest held one, so
   * a tree of any depth holds a bounded number (at the cost of re-resolving deep paths).
   */
  async #findDenied(fd: number, prefixes: readonly string[]): Promise<string | undefined> {
    return this.#findDeniedIn(fd, [], prefixes, 0)
  }

  /** #findDenied of the directory `path` beneath the held directory `anchor`. */
  async #findDeniedIn(
    anchor: number,
    path: readonly string[],
    prefixes: readonly string[],
    depth: number,
  ): Promise<string | undefined> {
    const subdirectories: string[] = []
    const dirFd = path.length === 0 ? anchor : await this.#openBeneath(anchor, path)
    try {
      for await (const entry of readDirectory(dirFd)) {
        for (const prefix of prefixes) {
          const relative = `${prefix}/${entry.name}`
          if (this.#denylist.isDenied(relative, entry.isDirectory)) return relative
        }
        if (entry.isDirectory) subdirectories.push(entry.name)
      }
    } finally {
      if (dirFd !== anchor) await closeQuietly(dirFd)
    }
    for (const name of subdirectories) {
      const below = prefixes.map((prefix) => `${prefix}/${name}`)
      let found: string | undefined
      if (depth + 1 >= MAX_HELD_DEPTH || path.length > 0) {
        found = await this.#findDeniedIn(anchor, [...path, name], below, depth + 1).catch(
          () => undefined,
        )
      } else {
        const sub = await this.#backend
          .openAt(anchor, name, O_PATH | O_DIRECTORY, 0)
          .catch(() => undefined)
        if (sub === undefined) continue
        try {
          found = await this.#findDeniedIn(sub, [], below, depth + 1)
        } finally {
          await closeQuietly(sub)
        }
      }
      if (found !== undefined) return found
    }
    return undefined
  }

  /**
   * Opens the directory `path` beneath `anchor` (never following its last component), PATH_CHUNK
   * components at a time, so that resolving a deep path never holds more descriptors than that.
   */
  async #openBeneath(anchor: number, path: readonly string[]): Promise<number> {
    let fd = anchor
    try {
      for (let i = 0; i < path.length; i += PATH_CHUNK) {
        const next = await this.#backend.openPath(fd, path.slice(i, i + PATH_CHUNK), false, true)
        if (fd !== anchor) await closeQuietly(fd)
        fd = next
      }
      return fd
    } catch (error) {
      if (fd !== anchor) await closeQuietly(fd)
      throw error
    }
  }

  async #removeEntry(
    dirFd: number,
    name: string,
    stats: JailStats,
    relative: string,
    state: RemoveState,
  ): Promise<void> {
    if (stats.kind !== 'directory') {
      await this.#backend.unlinkAt(dirFd, name, false).catch((error: unknown) => {
        if (errnoOf(error) !== 'ENOENT') throw error
      })
      if (stats.kind === 'file' && stats.nlink === 1) state.freed += stats.size
      return
    }
    await this.#removeDirectory(dirFd, name, stats, relative, state, 0)
  }

  /**
   * `rm -rf` of the directory `name` in `dirFd`, never following a link. Entries are unlinked a
   * few at a time and subdirectories entered one after the other, one descriptor per level. A
   * subtree deeper than MAX_HELD_DEPTH below the directory being removed (`state.top`) is first
   * moved up into it under a temporary name and emptied from there: however wide or deep the
   * tree, the descriptors held stay bounded, and every directory is visited once.
   */
  async #removeDirectory(
    dirFd: number,
    name: string,
    stats: JailStats,
    relative: string,
    state: RemoveState,
    depth: number,
  ): Promise<void> {
    let fd: number
    try {
      fd = await this.#backend.openAt(dirFd, name, O_PATH | O_DIRECTORY, 0)
    } catch (error) {
      const code = errnoOf(error)
      if (code === 'ENOENT') return
      // Swapped for something else since the lstat: remove that instead, without following.
      if (code === 'ENOTDIR' || code === 'ELOOP') {
        return this.#removeEntry(dirFd, name, { ...stats, kind: 'unknown' }, relative, state)
      }
      throw error
    }
    const top = depth === 0
    if (top) {
      state.top = fd
      state.moved = []
    }
    try {
      await this.#emptyDirectory(fd, relative, state, depth)
      // The subtrees moved up into the top directory, emptied (and moved again) in turn.
      const moved = top ? state.moved : undefined
      for (let next = moved?.pop(); next !== undefined; next = moved?.pop()) {
        if (state.denied !== undefined) break
        await this.#removeDirectory(fd, next.name, next.stats, next.relative, state, 1)
      }
    } finally {
      if (top) {
        state.top = undefined
        state.moved = undefined
      }
      await closeQuietly(fd)
    }
    if (state.denied !== undefined) return
    await this.#backend.unlinkAt(dirFd, name, true).catch((error: unknown) => {
      if (errnoOf(error) !== 'ENOENT') throw error
    })
  }

  /** Removes everything in the directory `fd`, `depth` levels below the directory removed. */
  async #emptyDirectory(
    fd: number,
    relative: string,
    state: RemoveState,
    depth: number,
  ): Promise<void> {
    const names: string[] = []
    for await (const entry of readDirectory(fd)) names.push(entry.name)
    const subdirectories: { name: string; stats: JailStats; relative: string }[] = []
    await mapLimited(names, REMOVE_CONCURRENCY, async (child) => {
      const childRelative = `${relative}/${child}`
      const childStats = await this.#lstatMaybe(fd, child)
      if (childStats === undefined) return
      if (this.#denylist.isDenied(childRelative, childStats.kind === 'directory')) {
        state.denied ??= childRelative
        return
      }
      if (childStats.kind === 'directory') {
        subdirectories.push({ name: child, stats: childStats, relative: childRelative })
      } else {
        await this.#removeEntry(fd, child, childStats, childRelative, state)
      }
    })
    for (const sub of subdirectories) {
      if (state.denied !== undefined) return
      if (depth + 1 < MAX_HELD_DEPTH || state.top === undefined || state.moved === undefined) {
        // (top and moved are always set while a directory is removed.)
        await this.#removeDirectory(fd, sub.name, sub.stats, sub.relative, state, depth + 1)
        continue
      }
      // One level deeper would hold one descriptor more: the subtree moves up instead.
      const moved = temporaryName()
      try {
        await this.#backend.renameAt(fd, sub.name, state.top, moved, true)
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') continue
        throw error
      }
      state.moved.push({ name: moved, stats: sub.stats, relative: sub.relative })
    }
  }

  /** Runs `fn` on an O_PATH descriptor of a checked regular file or directory at `path`. */
  async #onInode(path: string, fn: (fd: number) => Promise<void>): Promise<void> {
    const p = parseJailPath(path)
    if (p.components.length === 0) throw jailError('root', p.input)
    await this.#run(p, async (rootFd) => {
      const { dirFd, name } = await this.#parentOf(rootFd, p, false)
      let fd: number | undefined
      try {
        fd = await this.#backend.openAt(dirFd, name, O_PATH, 0)
        const stats = await fstatFd(fd)
        const isDir = stats.kind === 'directory'
        if (!isDir) refuseUnlessRegular(stats, p, 'inode')
        this.#checkDeniedPath(p, isDir)
        await this.#checkDenied(p, dirFd, name, isDir)
        // chmod/chown on /proc/self/fd/<O_PATH fd> change exactly that inode.
        await fn(fd)
      } finally {
        await closeQuietly(fd, dirFd)
      }
    })
  }
}

/**
 * Only regular files are opened for content or replaced. A file with several links may share its
 * inode with a file outside the root, so its content is never served (`read`) and its inode
 * never changed (`inode`: chmod, chown); replacing its name is fine (`replace`: the write lands
 * in a new file renamed over the name, which splits the link).
 */
function refuseUnlessRegular(
  stats: JailStats,
  p: JailPath,
  use: 'read' | 'replace' | 'inode',
): void {
  switch (stats.kind) {
    case 'file':
      if (use !== 'replace' && stats.nlink > 1) throw jailError('hard_link', p.input)
      return
    case 'directory':
      throw jailError('is_directory', p.input)
    case 'symlink':
      throw jailError('symlink', p.input)
    case 'fifo':
      throw jailError('fifo', p.input)
    case 'socket':
      throw jailError('socket', p.input)
    case 'block-device':
    case 'character-device':
      throw jailError('device', p.input)
    default:
      throw jailError('not_regular', p.input)
  }
}

function checkMode(mode: number): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw jailError('bad_mode', String(mode))
  }
}

function checkOwner(uid: number, gid: number): void {
  for (const id of [uid, gid]) {
    if (!Number.isInteger(id) || id < 0 || id > 0xfffffffe) {
      throw new RangeError(`bad uid/gid: ${id}`)
    }
  }
}

/** `to` (components from the root) as a path relative to the directory `from`. */
function relativeTarget(from: readonly string[], to: readonly string[]): string {
  let common = 0
  while (common < from.length && common < to.length && from[common] === to[common]) common++
  const up = from.slice(common).map(() => '..')
  return [...up, ...to.slice(common)].join('/') || '.'
}

function temporaryName(): string {
  return `.jail-${randomBytes(8).toString('hex')}.tmp`
}
