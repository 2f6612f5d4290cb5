import fs from 'node:fs/promises'

import { decodeName } from '../name-bytes.js'
import { procFd } from './backend.js'

export interface DirectoryEntry {
  /** The entry's jail name: its bytes, losslessly (see name-bytes.ts). */
  readonly name: string
  readonly isDirectory: boolean
}

/**
 * The entries of the directory open as `fd`, read as bytes: a name that is not UTF-8 is kept
 * (escaped), never replaced by U+FFFD, so it can be named back. `bufferSize` entries are read per
 * system call; the directory is closed when the iteration ends, however it ends.
 */
export async function* readDirectory(fd: number, bufferSize = 256): AsyncGenerator<DirectoryEntry> {
  // Node reads names as Buffers with this encoding; its typings only list string encodings.
  const encoding = 'buffer' as BufferEncoding
  for await (const entry of await fs.opendir(procFd(fd), { bufferSize, encoding })) {
    const raw = entry.name as unknown as Buffer
    yield { name: decodeName(raw), isDirectory: entry.isDirectory() }
  }
}
