import { constants } from 'node:fs'

import { jailFaultOf, parseJailPath, type Jail, type JailStats } from '@node/filesystem-jail'
import type { Clock, Logger } from '@node/shared-kernel'

import { attributesOf } from './file-stats.js'
import { DirectoryHandle } from './handles/directory-handle.js'
import { ReadHandle } from './handles/read-handle.js'
import { WriteHandle } from './handles/write-handle.js'
import { longname } from './longname.js'
import type { Permissions, SftpPermission } from './permissions.js'
import type { FileAttributes } from './protocol/attributes.js'
import { OPEN_FLAG, STATUS } from './protocol/constants.js'
import type { NameEntry } from './protocol/sftp-response.js'
import { unavailableReason, type SftpServerLookup, type SftpServerView } from './server-lookup.js'
import type { SftpActivityEvent, SftpActivitySink } from './sftp-activity.js'
import { SftpStatusError } from './sftp-status.js'

export type OpenHandle = ReadHandle | WriteHandle | DirectoryHandle

export interface SftpFileSystemOptions {
  readonly serverUuid: string
  /** The Panel user's uuid. */
  readonly user: string
  /** The client's address without the port, for activity. */
  readonly ip: string
  readonly permissions: Permissions
  readonly lookup: SftpServerLookup
  /** `system.sftp.read_only`: every write answers "operation unsupported". */
  readonly readOnly: boolean
  readonly maxReorderBytes: number
  readonly onActivity: SftpActivitySink | undefined
  readonly clock: Clock
  readonly logger: Logger
}

/** The server was deleted from this node while the session was open: the session ends. */
export class ServerGoneError extends SftpStatusError {
  constructor() {
    super(STATUS.FAILURE, 'The server no longer exists on this node')
    this.name = 'ServerGoneError'
  }
}

const DIRECTORY_BATCH = 128

/**
 * One user's view of one server's files over SFTP (behaviour §11): every request looks the
 * server up again (gone, suspended, installing, restoring or transferring → refused), checks
 * read-only mode and the Panel permission for the operation, then goes through the jail.
 */
export class SftpFileSystem {
  readonly #o: SftpFileSystemOptions

  constructor(options: SftpFileSystemOptions) {
    this.#o = options
  }

  async open(path: string, flags: number): Promise<ReadHandle | WriteHandle> {
    const display = displayPath(path)
    if (flags & OPEN_FLAG.WRITE) return this.#openWrite(path, display, flags)
    if (!(flags & OPEN_FLAG.READ)) throw new SftpStatusError(STATUS.OP_UNSUPPORTED)
    const { jail } = this.#server('file.read-content')
    const { handle } = await jail.openHandle(path)
    return new ReadHandle(display, handle)
  }

  async stat(path: string): Promise<FileAttributes> {
    // Neither STAT nor LSTAT follows a final symlink (behaviour §11).
    return attributesOf(await this.#server('file.read').jail.stat(path))
  }

  async setstat(path: string, attrs: FileAttributes): Promise<void> {
    const { jail } = this.#server('file.update', true)
    const mode = requestedMode(attrs)
    if (mode === undefined) await jail.stat(path)
    else await jail.chmod(path, mode)
  }

  async opendir(path: string): Promise<DirectoryHandle> {
    const { jail } = this.#server('file.read')
    const stats = await jail.stat(path)
    if (stats.kind !== 'directory') throw new SftpStatusError(STATUS.FAILURE, 'Not a directory')
    return new DirectoryHandle(displayPath(path), jail.list(path, { batchSize: DIRECTORY_BATCH }))
  }

  async remove(path: string): Promise<void> {
    const { jail } = this.#server('file.delete', true)
    const stats = await jail.stat(path)
    if (stats.kind === 'directory') throw new SftpStatusError(STATUS.FAILURE, 'Is a directory')
    await jail.remove(path)
    this.#record('server:sftp.delete', [displayPath(path)])
  }

  /** Removes a directory and everything in it, as the reference does. */
  async rmdir(path: string): Promise<void> {
    const { jail } = this.#server('file.delete', true)
    refuseRoot(path)
    const stats = await jail.stat(path)
    if (stats.kind !== 'directory') throw new SftpStatusError(STATUS.FAILURE, 'Not a directory')
    await jail.remove(path)
    this.#record('server:sftp.delete', [displayPath(path)])
  }

  /** `mkdir -p`, as the reference does. */
  async mkdir(path: string): Promise<void> {
    const { jail } = this.#server('file.create', true)
    await jail.mkdirp(path)
    this.#record('server:sftp.create-directory', [displayPath(path)])
  }

  /** Never replaces: an existing target fails (behaviour §11). */
  async rename(from: string, to: string): Promise<void> {
    const { jail } = this.#server('file.update', true)
    refuseRoot(from)
    refuseRoot(to)
    await jail.rename(from, to)
    this.#record('server:sftp.rename', [{ from: displayPath(from), to: displayPath(to) }])
  }

  /** The canonical form of `path`, lexically; `..` stops at the root, nothing is resolved. */
  realpath(path: string): string {
    this.#server(undefined)
    const parts: string[] = []
    for (const part of path.split('/')) {
      if (part === '' || part === '.') continue
      if (part === '..') parts.pop()
      else parts.push(part)
    }
    return `/${parts.join('/')}`
  }

  // The jail has no readlink or symlink yet; links are refused rather than made unconfined.
  readlink(_path: string): never {
    this.#server('file.read')
    throw new SftpStatusError(STATUS.OP_UNSUPPORTED, 'Reading symbolic links is not supported')
  }

  symlink(): never {
    this.#server('file.create', true)
    throw new SftpStatusError(STATUS.OP_UNSUPPORTED, 'Symbolic links cannot be created')
  }

  async read(handle: OpenHandle, offset: bigint, length: number): Promise<Buffer | null> {
    this.#server(undefined)
    if (handle.kind !== 'read') throw new SftpStatusError(STATUS.FAILURE, 'Not open for reading')
    return handle.read(offset, length)
  }

  async write(handle: OpenHandle, offset: bigint, data: Buffer): Promise<void> {
    this.#server(undefined, true)
    if (handle.kind !== 'write') throw new SftpStatusError(STATUS.FAILURE, 'Not open for writing')
    await handle.write(offset, data)
  }

  async readdir(handle: OpenHandle, max: number): Promise<NameEntry[] | null> {
    this.#server('file.read')
    if (handle.kind !== 'directory') throw new SftpStatusError(STATUS.FAILURE, 'Not a directory')
    const page = await handle.nextPage(max)
    if (page.length === 0) return null
    const now = this.#o.clock.now()
    return page.map(({ name, stats }) => ({
      filename: name,
      longname: longname(name, stats, now),
      attrs: attributesOf(stats),
    }))
  }

  async fstat(handle: OpenHandle): Promise<FileAttributes> {
    const { jail } = this.#server('file.read')
    if (handle.kind === 'directory') return attributesOf(await jail.stat(handle.path))
    return attributesOf(await handle.stat())
  }

  async fsetstat(handle: OpenHandle, attrs: FileAttributes): Promise<void> {
    const { jail } = this.#server('file.update', true)
    const mode = requestedMode(attrs)
    if (mode === undefined) return
    // The upload is not in place yet: its mode is set once it is.
    if (handle.kind === 'write') handle.pendingMode = mode
    else await jail.chmod(handle.path, mode)
  }

  /** Closes a handle; an upload is put in place (or, on any failure, dropped). */
  async close(handle: OpenHandle): Promise<void> {
    if (handle.kind !== 'write') return handle.close()
    let server: SftpServerView
    try {
      server = this.#server(undefined, true)
    } catch (error) {
      await handle.abort()
      throw error
    }
    await handle.commit()
    if (handle.pendingMode !== undefined) {
      await server.jail.chmod(handle.path, handle.pendingMode).catch((error: unknown) => {
        this.#o.logger.warn('could not set the mode of an uploaded file', {
          path: handle.path,
          error: (error as Error).message,
        })
      })
    }
    this.#record(handle.created ? 'server:sftp.create' : 'server:sftp.write', [handle.path])
  }

  async #openWrite(path: string, display: string, flags: number): Promise<WriteHandle> {
    const { jail } = this.#server(undefined, true)
    if (flags & OPEN_FLAG.APPEND) {
      throw new SftpStatusError(STATUS.OP_UNSUPPORTED, 'Appending to a file is not supported')
    }
    // Behaviour §8.3: a server already over its limit (stale-ok) opens nothing for writing.
    jail.quota.assertNotOver(path)
    const existing = await statIfExists(jail, path)
    if (existing?.kind === 'directory') throw new SftpStatusError(STATUS.FAILURE, 'Is a directory')
    if (existing && flags & OPEN_FLAG.EXCL) {
      throw new SftpStatusError(STATUS.FAILURE, 'The file already exists')
    }
    if (!existing && !(flags & OPEN_FLAG.CREAT)) throw new SftpStatusError(STATUS.NO_SUCH_FILE)
    this.#require(existing ? 'file.update' : 'file.create')
    // Every write truncates (behaviour §11): the file is rewritten from its first byte.
    const stream = await jail.openWrite(path, { exclusive: (flags & OPEN_FLAG.EXCL) !== 0 })
    return new WriteHandle({
      path: display,
      stream,
      created: existing === undefined,
      maxReorderBytes: this.#o.maxReorderBytes,
      mode: existing ? existing.mode & 0o777 : 0o644,
      clock: this.#o.clock,
    })
  }

  /** The server, if this request may touch it now; throws the refusal otherwise. */
  #server(permission: SftpPermission | undefined, write = false): SftpServerView {
    const server = this.#o.lookup(this.#o.serverUuid)
    if (server === undefined) throw new ServerGoneError()
    const reason = unavailableReason(server)
    if (reason !== undefined) {
      throw new SftpStatusError(STATUS.PERMISSION_DENIED, `The server is ${reason}`)
    }
    if (write && this.#o.readOnly) throw new SftpStatusError(STATUS.OP_UNSUPPORTED)
    if (permission !== undefined) this.#require(permission)
    return server
  }

  #require(permission: SftpPermission): void {
    if (!this.#o.permissions.has(permission)) {
      throw new SftpStatusError(STATUS.PERMISSION_DENIED)
    }
  }

  #record(event: SftpActivityEvent, files: string[] | { from: string; to: string }[]): void {
    const { onActivity, serverUuid, user, ip, clock, logger } = this.#o
    if (!onActivity) return
    try {
      onActivity({
        event,
        server: serverUuid,
        user,
        ip,
        metadata: { files },
        timestamp: clock.now(),
      })
    } catch (error) {
      logger.error('failed to record SFTP activity', { event, error: (error as Error).message })
    }
  }
}

/** The path as the activity log and the handles name it: from the root, lexically clean. */
function displayPath(path: string): string {
  return `/${parseJailPath(path).relative}`
}

function refuseRoot(path: string): void {
  if (parseJailPath(path).components.length === 0) {
    throw new SftpStatusError(STATUS.PERMISSION_DENIED, 'The server root cannot be changed')
  }
}

/**
 * SETSTAT's mode as the reference applies it: permission bits only, 0 becomes 0644, and a mode
 * that says "directory" becomes 0755. Without a mode nothing changes (owner, size and times are
 * ignored).
 */
function requestedMode(attrs: FileAttributes): number | undefined {
  if (attrs.mode === undefined) return undefined
  if ((attrs.mode & constants.S_IFMT) === constants.S_IFDIR) return 0o755
  const permissions = attrs.mode & 0o777
  return permissions === 0 ? 0o644 : permissions
}

async function statIfExists(jail: Jail, path: string): Promise<JailStats | undefined> {
  try {
    return await jail.stat(path)
  } catch (error) {
    const reason = jailFaultOf(error)?.reason
    if (reason === 'not_found' || reason === 'not_directory') return undefined
    throw error
  }
}
