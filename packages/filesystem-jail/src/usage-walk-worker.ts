// Runs in a worker thread (see walk-disk-usage.ts): walks a server root with synchronous calls,
// which are several times faster than a promise per stat, without blocking the main event loop.
// Uses the native addon's walk when its path is given, else a JS walk through /proc/self/fd.
// Self-contained on purpose: Node runs this file as-is (type stripping from src/, or compiled in
// dist/), so it may import only Node built-ins.
import { closeSync, constants, lstatSync, opendirSync, openSync } from 'node:fs'
import { createRequire } from 'node:module'
import { parentPort, workerData } from 'node:worker_threads'

const O_PATH = 0o10000000
const OPEN_DIR = O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW
// Deeper than this, directories are reached by path below the deepest open descriptor instead
// of holding one descriptor per level, so a hostile tree cannot exhaust descriptors.
const MAX_FD_DEPTH = 128

interface Totals {
  bytes: number
  files: number
  readonly seen: Set<string>
}

// Paths are bytes: a name that is not UTF-8 must be counted too, so it is never decoded.
type RawPath = Buffer
const SLASH = Buffer.from('/')

function child(dir: RawPath, name: Buffer): RawPath {
  return Buffer.concat([dir, SLASH, name])
}

function countFile(base: RawPath, totals: Totals): void {
  const stats = lstatSync(base, { throwIfNoEntry: false })
  if (stats === undefined) return
  if (stats.isDirectory()) return walkPath(base, totals)
  if (!stats.isFile()) return
  if (stats.nlink > 1) {
    // Hard links count once: the bytes are on the disk once.
    const key = `${stats.dev}:${stats.ino}`
    if (totals.seen.has(key)) return
    totals.seen.add(key)
  }
  totals.bytes += stats.size
  totals.files += 1
}

/** Lists `dir` entry by entry (flat memory for huge directories); vanished dirs are skipped. */
function eachEntry(dir: RawPath, visit: (name: Buffer, type: 'dir' | 'other') => void): void {
  let handle
  try {
    // Names as Buffers; Node's typings only list string encodings.
    handle = opendirSync(dir, { bufferSize: 256, encoding: 'buffer' as BufferEncoding })
  } catch {
    return
  }
  try {
    for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
      if (entry.isSymbolicLink()) continue
      visit(entry.name as unknown as Buffer, entry.isDirectory() ? 'dir' : 'other')
    }
  } finally {
    handle.closeSync()
  }
}

function walkFd(dirFd: number, depth: number, totals: Totals): void {
  const base = Buffer.from(`/proc/self/fd/${dirFd}`)
  eachEntry(base, (name, type) => {
    const path = child(base, name)
    if (type !== 'dir') return countFile(path, totals)
    if (depth >= MAX_FD_DEPTH) return walkPath(path, totals)
    let fd: number
    try {
      fd = openSync(path, OPEN_DIR)
    } catch {
      return
    }
    try {
      walkFd(fd, depth + 1, totals)
    } finally {
      closeSync(fd)
    }
  })
}

function walkPath(dir: RawPath, totals: Totals): void {
  eachEntry(dir, (name, type) => {
    const path = child(dir, name)
    if (type === 'dir') walkPath(path, totals)
    else countFile(path, totals)
  })
}

const { rootFd, addonPath } = workerData as { rootFd: number; addonPath?: string }
try {
  if (addonPath !== undefined) {
    const addon = createRequire(import.meta.url)(addonPath) as {
      duSync(fd: number): [number, number]
    }
    const [bytes, files] = addon.duSync(rootFd)
    parentPort?.postMessage({ bytes, files })
  } else {
    const totals: Totals = { bytes: 0, files: 0, seen: new Set() }
    walkFd(rootFd, 0, totals)
    parentPort?.postMessage({ bytes: totals.bytes, files: totals.files })
  }
} catch (error) {
  parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) })
}
