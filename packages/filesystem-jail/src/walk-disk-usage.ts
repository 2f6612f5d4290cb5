import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

import { nativeAddonPath } from './backend/native-backend.js'

// Walks share a small pool of worker threads: many servers may ask at once after a restart.
const MAX_CONCURRENT_WALKS = 2
let running = 0
const waiting: (() => void)[] = []

// The worker file sits beside this one: .ts when running from source, .js from dist/.
const WORKER_URL = new URL(
  `./usage-walk-worker${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
)

export interface UsageWalkResult {
  /** Sum of the sizes of the regular files (lstat; hard-linked files once). */
  readonly bytes: number
  readonly files: number
}

/**
 * Measures the tree below `rootFd` (an open directory descriptor the caller keeps open until
 * this settles) in a worker thread, with synchronous calls there and nothing on the event loop
 * or the libuv pool. Symlinks are never followed; sockets, FIFOs and devices count nothing.
 * With `native` (and the addon loaded) the walk is the addon's fstatat walk, about as fast as
 * `du`; otherwise a JS walk through /proc/self/fd, about half as fast.
 */
export async function walkDiskUsage(
  rootFd: number,
  options: { readonly native?: boolean } = {},
): Promise<UsageWalkResult> {
  const addonPath = options.native ? nativeAddonPath() : undefined
  if (running >= MAX_CONCURRENT_WALKS) await new Promise<void>((go) => waiting.push(go))
  running += 1
  try {
    return await new Promise<UsageWalkResult>((resolve, reject) => {
      const worker = new Worker(WORKER_URL, { workerData: { rootFd, addonPath } })
      worker.once('message', (message: { bytes?: number; files?: number; error?: string }) => {
        if (message.error !== undefined) reject(new Error(`disk usage walk: ${message.error}`))
        else resolve({ bytes: message.bytes ?? 0, files: message.files ?? 0 })
      })
      worker.once('error', reject)
      worker.once('exit', (code) => reject(new Error(`disk usage walker exited with ${code}`)))
    })
  } finally {
    running -= 1
    waiting.shift()?.()
  }
}
