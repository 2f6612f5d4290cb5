// Runs in a worker thread (see tar-walk.ts): walks a directory held by the jail and produces the
// .tar.gz of it, with synchronous calls for the walk and the reads; the tar is cut into 1 MiB
// blocks, each compressed as an independent gzip member on the libuv pool, so neither the
// buffers nor their garbage ever reach the daemon's main thread. A promise per stat, open and read costs
// more than the work itself on a tree of many small files; here a file costs a handful of
// system calls, read straight into the block that is handed to the main thread, and the event
// loop of the daemon never waits on any of it.
//
// Every name is opened relative to a descriptor already held, through /proc/self/fd/<fd>/<name>
// with O_NOFOLLOW, so nothing swapped in during the walk is followed out of the root; content is
// opened only after fstat said "regular file" on an O_PATH descriptor of that very inode.
// Self-contained on purpose: Node runs this file as-is (type stripping from src/, or compiled in
// dist/), so besides Node built-ins it imports only `tar` (for the header format).
import { isUtf8 } from 'node:buffer'
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  opendirSync,
  openSync,
  readlinkSync,
  readSync,
  type Stats,
} from 'node:fs'
import { promisify } from 'node:util'
import { parentPort, workerData } from 'node:worker_threads'
import { gzip } from 'node:zlib'

import { Header } from 'tar'

/** What the main thread hands over (tar-walk.ts builds it). */
export interface TarWalkInit {
  /** A directory the jail opened (O_PATH); entry names are relative to it. */
  readonly dirFd: number
  /** Paths below `dirFd` to archive (raw bytes, '/'-separated); null: every entry of it. */
  readonly paths: readonly Uint8Array[] | null
  /** Ask the main thread which entries of each directory to leave out. */
  readonly filter: boolean
  /** Store symlinks as symlink entries (their target as read, never followed); else skip them. */
  readonly symlinks: boolean
  /**
   * The user the server's own process runs as: a file with several hard links is archived
   * only when that user could read it through this very name anyway. Null: never.
   */
  readonly reader: { readonly uid: number; readonly gid: number } | null
  readonly blockBytes: number
  /** gzip level of the members. */
  readonly level: number
  /** Int32Array over it: [0] set to 1 asks the walk to stop. */
  readonly stop: SharedArrayBuffer
}

/** Worker → main. */
export type TarWalkMessage =
  /** A gzip member, in order; `read` is the file bytes read so far. */
  | { readonly t: 'block'; readonly data: Uint8Array; readonly read: number }
  | { readonly t: 'filter'; readonly paths: Uint8Array[]; readonly dirs: boolean[] }
  | { readonly t: 'skipped'; readonly path: Uint8Array; readonly reason: string }
  | { readonly t: 'end'; readonly read: number }
  | { readonly t: 'error'; readonly message: string; readonly code: string | undefined }

/** Main → worker. */
export type TarWalkReply =
  | { readonly t: 'credit'; readonly blocks: number }
  | { readonly t: 'keep'; readonly keep: boolean[] }
  | { readonly t: 'stop' }

const O_PATH = 0o10000000
const OPEN_DIR = O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW
const OPEN_INODE = O_PATH | constants.O_NOFOLLOW
const OPEN_READ = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY
// Levels that hold a descriptor each; deeper directories are reopened component by component
// from the deepest held one, so a hostile tree of any depth cannot exhaust descriptors.
const MAX_HELD_DEPTH = 128
// The jail's own temporary files (JailWriteStream): never archived (e.g. the archive itself).
const JAIL_TEMP = /^\.jail-[0-9a-f]{16}\.tmp$/
const SLASH = Buffer.from('/')
const BLOCK = 512
const EMPTY = Buffer.alloc(0)
/** gzip members compressed at once on the libuv pool. */
const GZIP_IN_FLIGHT = 4
const gzipAsync = promisify(gzip)

class Stopped extends Error {}

/** Where a directory is: held open (`fd`), or `path` components below a held `anchor`. */
interface DirectoryRef {
  readonly anchor: number
  readonly path: readonly Buffer[]
}

type Kind = 'file' | 'dir' | 'symlink' | 'other'

class TarWalker {
  readonly #init: TarWalkInit
  readonly #stop: Int32Array
  readonly #port: NonNullable<typeof parentPort>
  #block: Buffer
  #used = 0
  #read = 0
  #credits = 0
  #wake: (() => void) | undefined
  #keep: ((keep: boolean[]) => void) | undefined
  readonly #members: Promise<Buffer>[] = []

  constructor(init: TarWalkInit, port: NonNullable<typeof parentPort>) {
    this.#init = init
    this.#stop = new Int32Array(init.stop)
    this.#port = port
    this.#block = Buffer.allocUnsafeSlow(init.blockBytes)
    port.on('message', (reply: TarWalkReply) => {
      if (reply.t === 'credit') this.#credits += reply.blocks
      else if (reply.t === 'keep') this.#keep?.(reply.keep)
      this.#wake?.()
    })
  }

  async run(): Promise<void> {
    const root: DirectoryRef = { anchor: this.#init.dirFd, path: [] }
    if (this.#init.paths === null) {
      await this.#directoryEntries(root, EMPTY, 0)
    } else {
      for (const raw of this.#init.paths) {
        const parts = splitPath(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength))
        const name = parts.pop()
        if (name === undefined) continue
        const parentFd = parts.length === 0 ? root.anchor : openChain(root.anchor, parts)
        if (parentFd === undefined) continue
        try {
          const rel = joinPath(parts.length === 0 ? EMPTY : Buffer.concat(join(parts)), name)
          const kind = kindOfEntry(parentFd, name)
          if (kind === undefined) continue
          if (this.#init.filter && !(await this.#ask([rel], [kind === 'dir']))[0]) continue
          await this.#entry({ anchor: parentFd, path: [] }, name, rel, kind, 0)
        } finally {
          if (parentFd !== root.anchor) closeSync(parentFd)
        }
      }
    }
    this.#append(Buffer.alloc(BLOCK * 2))
    await this.#flush(true)
    this.#port.postMessage({ t: 'end', read: this.#read } satisfies TarWalkMessage)
  }

  /** The entries of the directory `dir` (whose archive path is `rel`), sorted by name. */
  async #directoryEntries(dir: DirectoryRef, rel: Buffer, depth: number): Promise<void> {
    const entries = this.#withDirectory(dir, (fd) => listDirectory(fd))
    if (entries === undefined) return
    let kept = entries
    if (this.#init.filter && entries.length > 0) {
      const keep = await this.#ask(
        entries.map((e) => joinPath(rel, e.name)),
        entries.map((e) => e.kind === 'dir'),
      )
      kept = entries.filter((_, i) => keep[i])
    }
    for (const { name, kind } of kept) {
      await this.#entry(dir, name, joinPath(rel, name), kind, depth)
    }
  }

  async #entry(
    parent: DirectoryRef,
    name: Buffer,
    rel: Buffer,
    kind: Kind,
    depth: number,
  ): Promise<void> {
    this.#checkStop()
    if (kind === 'file') return this.#file(parent, name, rel)
    if (kind === 'symlink') {
      if (!this.#init.symlinks) return
      const link = this.#withDirectory(parent, (fd) => readLink(fd, name))
      if (link === undefined) return
      return this.#header(rel, 'SymbolicLink', 0, link.stats, link.target)
    }
    if (kind !== 'dir') return
    const held = depth + 1 < MAX_HELD_DEPTH
    const fd = this.#withDirectory(parent, (dirFd) => openMaybe(dirFd, name, OPEN_DIR))
    if (fd === undefined) return
    let child: DirectoryRef
    try {
      await this.#header(rel, 'Directory', 0, fstatSync(fd))
      child = held ? { anchor: fd, path: [] } : { ...parent, path: [...parent.path, name] }
    } catch (error) {
      closeSync(fd)
      throw error
    }
    if (!held) closeSync(fd)
    try {
      await this.#directoryEntries(child, rel, depth + 1)
    } finally {
      if (held) closeSync(fd)
    }
  }

  async #file(parent: DirectoryRef, name: Buffer, rel: Buffer): Promise<void> {
    const opened = this.#withDirectory(parent, (dirFd) => this.#openRegular(dirFd, name, rel))
    if (opened === undefined) return
    const { fd, stats } = opened
    try {
      const size = stats.size
      await this.#header(rel, 'File', size, stats)
      let sent = 0
      while (sent < size) {
        this.#checkStop()
        if (this.#used === this.#block.length) await this.#flush(false)
        const want = Math.min(size - sent, this.#block.length - this.#used)
        const n = readSync(fd, this.#block, this.#used, want, sent)
        // A file truncated while read keeps its announced size, zero-filled: the archive stays
        // valid. Bytes appended after the fstat are left out.
        if (n === 0) {
          this.#block.fill(0, this.#used, this.#used + want)
          this.#used += want
          sent += want
          continue
        }
        this.#used += n
        sent += n
        this.#read += n
      }
      this.#append(Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK))
    } finally {
      closeSync(fd)
    }
  }

  /**
   * Opens `name` for reading when it is a regular file: O_PATH first (no side effect, whatever
   * it is), fstat, then a reopen of that very inode. A file with several hard links only when the
   * server's user could read it anyway (README: hard links).
   */
  #openRegular(dirFd: number, name: Buffer, rel: Buffer): { fd: number; stats: Stats } | undefined {
    const pathFd = openMaybe(dirFd, name, OPEN_INODE)
    if (pathFd === undefined) return undefined
    try {
      const stats = fstatSync(pathFd)
      if (!stats.isFile()) return undefined
      if (stats.nlink > 1 && !readableBy(stats, this.#init.reader)) {
        this.#port.postMessage({
          t: 'skipped',
          path: rel,
          reason: 'hard_link',
        } satisfies TarWalkMessage)
        return undefined
      }
      const fd = openSync(`/proc/self/fd/${pathFd}`, OPEN_READ)
      return { fd, stats }
    } finally {
      closeSync(pathFd)
    }
  }

  /** Runs `fn` on the directory `dir`, reopening it when it lies below the held levels. */
  #withDirectory<T>(dir: DirectoryRef, fn: (fd: number) => T): T | undefined {
    if (dir.path.length === 0) return fn(dir.anchor)
    const fd = openChain(dir.anchor, dir.path)
    if (fd === undefined) return undefined
    try {
      return fn(fd)
    } finally {
      closeSync(fd)
    }
  }

  async #header(
    rel: Buffer,
    type: 'File' | 'Directory' | 'SymbolicLink',
    size: number,
    stats: Stats,
    linkpath?: Buffer,
  ): Promise<void> {
    const path = type === 'Directory' ? Buffer.concat([rel, SLASH]) : rel
    const header = new Header({
      path: textOf(path),
      mode: stats.mode & 0o7777,
      uid: 0,
      gid: 0,
      size,
      mtime: new Date(Math.max(0, Math.floor(stats.mtimeMs / 1000) * 1000)),
      type,
      ...(linkpath ? { linkpath: textOf(linkpath) } : {}),
    })
    const block = Buffer.alloc(BLOCK)
    header.encode(block, 0)
    if (header.needPax || !isUtf8(path) || (linkpath && !isUtf8(linkpath))) {
      // ustar cannot hold it (long, not ASCII, or not UTF-8): a PAX record with the exact bytes
      // (as GNU tar writes them), then the ustar header with what fits.
      const records = [paxRecord('path', path)]
      if (linkpath) records.push(paxRecord('linkpath', linkpath))
      if (size > 0o77777777777) records.push(paxRecord('size', Buffer.from(String(size))))
      const body = Buffer.concat(records)
      const pax = Buffer.alloc(BLOCK)
      new Header({
        path: 'PaxHeader',
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: body.length,
        mtime: new Date(0),
        type: 'ExtendedHeader',
      }).encode(pax, 0)
      this.#append(pax)
      this.#append(body)
      this.#append(Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK))
    }
    this.#append(block)
    if (this.#used === this.#block.length) await this.#flush(false)
  }

  /** Copies `bytes` into the blocks; a full block is handed over at the next flush. */
  #append(bytes: Buffer): void {
    let offset = 0
    while (offset < bytes.length) {
      if (this.#used === this.#block.length) this.#overflow.push(this.#take())
      const n = bytes.copy(this.#block, this.#used, offset)
      this.#used += n
      offset += n
    }
  }

  // Full blocks made by #append while no flush could wait (headers are small: rarely more than one).
  readonly #overflow: Buffer[] = []

  #take(): Buffer {
    const full = this.#block
    this.#block = Buffer.allocUnsafeSlow(this.#init.blockBytes)
    this.#used = 0
    return full
  }

  /**
   * Starts compressing every full block (and, at the end, the last partial one) as an
   * independent gzip member on the libuv pool, GZIP_IN_FLIGHT at once, and hands the members over
   * in order as credit allows.
   */
  async #flush(last: boolean): Promise<void> {
    const ready = [...this.#overflow.splice(0)]
    if (this.#used === this.#block.length || (last && this.#used > 0)) {
      const used = this.#used
      ready.push(this.#take().subarray(0, used))
    }
    for (const block of ready) {
      // One output chunk per member: zlib's default 16 KiB chunks cost a pool round trip each.
      const member = gzipAsync(block, {
        level: this.#init.level,
        chunkSize: Math.max(64 * 1024, this.#init.blockBytes),
      })
      member.catch(() => undefined)
      this.#members.push(member)
      while (this.#members.length >= GZIP_IN_FLIGHT)
        await this.#handOver(await this.#members.shift()!)
    }
    if (last) {
      while (this.#members.length > 0) await this.#handOver(await this.#members.shift()!)
    }
  }

  async #handOver(member: Buffer): Promise<void> {
    while (this.#credits === 0) {
      this.#checkStop()
      await new Promise<void>((wake) => (this.#wake = wake))
    }
    this.#checkStop()
    this.#credits -= 1
    // Moved when it spans memory of its own; a slice of a shared pool is copied.
    const owned = member.byteOffset === 0 && member.byteLength === member.buffer.byteLength
    const data = new Uint8Array(member.buffer, member.byteOffset, member.length)
    this.#port.postMessage(
      { t: 'block', data, read: this.#read } satisfies TarWalkMessage,
      owned ? [member.buffer as ArrayBuffer] : [],
    )
  }

  async #ask(paths: Buffer[], dirs: boolean[]): Promise<boolean[]> {
    const answer = new Promise<boolean[]>((resolve) => (this.#keep = resolve))
    this.#port.postMessage({ t: 'filter', paths, dirs } satisfies TarWalkMessage)
    for (;;) {
      this.#checkStop()
      const keep = await Promise.race([
        answer,
        new Promise<undefined>((wake) => (this.#wake = () => wake(undefined))),
      ])
      if (keep !== undefined) return keep
    }
  }

  #checkStop(): void {
    if (Atomics.load(this.#stop, 0) !== 0) throw new Stopped()
  }
}

/** Entries of the directory `fd`, sorted by name (bytes), without the jail's temporary files. */
function listDirectory(fd: number): { name: Buffer; kind: Kind }[] {
  let handle
  try {
    // Names as Buffers; Node's typings only list string encodings.
    handle = opendirSync(`/proc/self/fd/${fd}`, {
      bufferSize: 256,
      encoding: 'buffer' as BufferEncoding,
    })
  } catch (error) {
    if (vanished(error)) return []
    throw error
  }
  const out: { name: Buffer; kind: Kind }[] = []
  try {
    for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
      const name = entry.name as unknown as Buffer
      if (JAIL_TEMP.test(name.toString('latin1'))) continue
      const kind: Kind | undefined = entry.isFile()
        ? 'file'
        : entry.isDirectory()
          ? 'dir'
          : entry.isSymbolicLink()
            ? 'symlink'
            : entry.isFIFO() ||
                entry.isSocket() ||
                entry.isBlockDevice() ||
                entry.isCharacterDevice()
              ? 'other'
              : kindOfEntry(fd, name)
      if (kind !== undefined) out.push({ name, kind })
    }
  } finally {
    handle.closeSync()
  }
  return out.sort((a, b) => Buffer.compare(a.name, b.name))
}

/** The kind of `name` in `dirFd` by lstat (file systems that give no type in readdir). */
function kindOfEntry(dirFd: number, name: Buffer): Kind | undefined {
  const stats = lstatSync(procPath(dirFd, name), { throwIfNoEntry: false })
  if (stats === undefined) return undefined
  if (stats.isFile()) return 'file'
  if (stats.isDirectory()) return 'dir'
  if (stats.isSymbolicLink()) return 'symlink'
  return 'other'
}

function readLink(dirFd: number, name: Buffer): { target: Buffer; stats: Stats } | undefined {
  try {
    const stats = lstatSync(procPath(dirFd, name))
    if (!stats.isSymbolicLink()) return undefined
    return { target: readlinkSync(procPath(dirFd, name), { encoding: 'buffer' }), stats }
  } catch (error) {
    if (vanished(error)) return undefined
    throw error
  }
}

/** Opens `name` in `dirFd` without following it; undefined when it is gone or was swapped. */
function openMaybe(dirFd: number, name: Buffer, flags: number): number | undefined {
  try {
    return openSync(procPath(dirFd, name), flags)
  } catch (error) {
    if (vanished(error)) return undefined
    throw error
  }
}

/** Opens the directory `path` below `anchor`, one component at a time, never following a link. */
function openChain(anchor: number, path: readonly Buffer[]): number | undefined {
  let fd: number | undefined
  try {
    for (const name of path) {
      const next = openMaybe(fd ?? anchor, name, OPEN_DIR)
      if (fd !== undefined) closeSync(fd)
      fd = next
      if (fd === undefined) return undefined
    }
    return fd
  } catch (error) {
    if (fd !== undefined) closeSync(fd)
    throw error
  }
}

/** Races with the server's own process: the entry is left out, the archive goes on. */
function vanished(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP'
}

/** Whether `reader` may read the file as its permissions stand (its owner may chmod it). */
function readableBy(stats: Stats, reader: TarWalkInit['reader']): boolean {
  if (reader === null) return false
  if (stats.uid === reader.uid) return true
  if (stats.gid === reader.gid && (stats.mode & 0o040) !== 0) return true
  return (stats.mode & 0o004) !== 0
}

function procPath(fd: number, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`/proc/self/fd/${fd}/`), name])
}

function joinPath(rel: Buffer, name: Buffer): Buffer {
  return rel.length === 0 ? name : Buffer.concat([rel, SLASH, name])
}

function join(parts: readonly Buffer[]): Buffer[] {
  return parts.flatMap((part, i) => (i === 0 ? [part] : [SLASH, part]))
}

function splitPath(path: Buffer): Buffer[] {
  const parts: Buffer[] = []
  let start = 0
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path[i] === 0x2f) {
      if (i > start) parts.push(path.subarray(start, i))
      start = i + 1
    }
  }
  return parts
}

/** The path as node-tar's header takes it; bytes that are not UTF-8 go in the PAX record. */
function textOf(bytes: Buffer): string {
  return bytes.toString('utf8')
}

// A PAX record is "<length> <key>=<value>\n" where the length counts itself.
function paxRecord(key: string, value: Buffer): Buffer {
  const core = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')])
  let length = core.length + String(core.length).length
  if (String(length).length + core.length !== length) length = core.length + String(length).length
  return Buffer.concat([Buffer.from(String(length)), core])
}

if (parentPort !== null && (workerData as { kind?: unknown } | null)?.kind === 'tar-walk') {
  const port = parentPort
  const init = (workerData as { init: TarWalkInit }).init
  new TarWalker(init, port).run().then(
    () => port.close(),
    (error: unknown) => {
      if (!(error instanceof Stopped)) {
        port.postMessage({
          t: 'error',
          message: error instanceof Error ? error.message : String(error),
          code: (error as { code?: string } | null)?.code,
        } satisfies TarWalkMessage)
      }
      port.close()
    },
  )
}
