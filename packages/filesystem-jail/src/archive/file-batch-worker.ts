// Runs in a worker thread (see file-batch-writer.ts): writes whole small files, each into a
// directory the jail opened, with synchronous calls. Through the promise API each file costs a
// dozen round trips to the libuv pool; an archive of many small files is bound by them, not by
// its bytes. Each file keeps the jail's write guarantee: its bytes go to a temporary file created
// O_EXCL | O_NOFOLLOW beside the target, which gets its mode, owner and mtime and is renamed over
// the target only when complete; on any failure the temporary file is removed.
// Self-contained on purpose (Node runs this file as-is, from src/ or dist/): Node built-ins only.
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lstatSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { parentPort } from 'node:worker_threads'

/** One file to write: `name` (one component, raw bytes) in the directory `dirFd`. */
export interface FileJob {
  readonly id: number
  readonly dirFd: number
  readonly name: Uint8Array
  readonly data: Uint8Array
  readonly mode: number
  readonly mtimeMs: number | null
  /** A symlink standing at the name is replaced (restores); else the write is refused. */
  readonly replaceLinks: boolean
}

export interface FileBatch {
  readonly jobs: readonly FileJob[]
  readonly owner: { readonly uid: number; readonly gid: number } | null
}

/** Per job: the bytes the replaced file freed, or why it failed (an errno code, or SYMLINK). */
export type FileResult =
  { readonly id: number; readonly freed: number } | { readonly id: number; readonly code: string }

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

function procPath(fd: number, name: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`/proc/self/fd/${fd}/`), name])
}

function writeOne(job: FileJob, owner: FileBatch['owner']): FileResult {
  const target = procPath(job.dirFd, job.name)
  const existing = lstatSync(target, { throwIfNoEntry: false })
  if (existing !== undefined) {
    if (existing.isDirectory()) return { id: job.id, code: 'EISDIR' }
    if (existing.isSymbolicLink() && !job.replaceLinks) return { id: job.id, code: 'SYMLINK' }
    if (!existing.isFile() && !existing.isSymbolicLink()) return { id: job.id, code: 'NOT_REGULAR' }
  }
  const temp = procPath(job.dirFd, Buffer.from(`.jail-${randomBytes(8).toString('hex')}.tmp`))
  let fd: number | undefined
  try {
    fd = openSync(temp, CREATE, 0o600)
    for (let offset = 0; offset < job.data.length;) {
      offset += writeSync(fd, job.data, offset, job.data.length - offset)
    }
    fchmodSync(fd, job.mode)
    if (owner) fchownSync(fd, owner.uid, owner.gid)
    if (job.mtimeMs !== null) futimesSync(fd, job.mtimeMs / 1000, job.mtimeMs / 1000)
    closeSync(fd)
    fd = undefined
    // What the rename replaces decides the usage change; a directory swapped in fails it.
    const replaced = lstatSync(target, { throwIfNoEntry: false })
    renameSync(temp, target)
    const freed = replaced?.isFile() && replaced.nlink === 1 ? replaced.size : 0
    return { id: job.id, freed }
  } catch (error) {
    if (fd !== undefined) closeSync(fd)
    try {
      unlinkSync(temp)
    } catch {
      // Never created, or already renamed.
    }
    const code = (error as { code?: unknown } | null)?.code
    return { id: job.id, code: typeof code === 'string' ? code : 'EIO' }
  }
}

if (parentPort !== null) {
  const port = parentPort
  port.on('message', (batch: FileBatch) => {
    port.postMessage(batch.jobs.map((job) => writeOne(job, batch.owner)))
  })
}
