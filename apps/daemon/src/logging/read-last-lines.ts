import { open } from 'node:fs/promises'

const CHUNK_BYTES = 64 * 1024

export interface ReadLastLinesOptions {
  /** Stop reading backwards after this many bytes (default 8 MiB), whatever the line count. */
  readonly maxBytes?: number
}

/**
 * The last `count` lines of `file` (without line terminators), read backwards in chunks so a
 * large log is not loaded whole. Rejects with ENOENT when the file does not exist.
 */
export async function readLastLines(
  file: string,
  count: number,
  options: ReadLastLinesOptions = {},
): Promise<string[]> {
  if (!Number.isSafeInteger(count) || count <= 0) return []
  const maxBytes = options.maxBytes ?? 8 * 1024 * 1024
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    const chunks: Buffer[] = []
    let position = size
    let newlines = 0
    let read = 0
    // One more newline than lines wanted: the file usually ends with one.
    while (position > 0 && newlines <= count && read < maxBytes) {
      const length = Math.min(CHUNK_BYTES, position, maxBytes - read)
      position -= length
      const buffer = Buffer.alloc(length)
      const { bytesRead } = await handle.read(buffer, 0, length, position)
      const chunk = buffer.subarray(0, bytesRead)
      chunks.unshift(chunk)
      read += bytesRead
      for (const byte of chunk) if (byte === 0x0a) newlines++
      if (bytesRead === 0) break
    }
    const lines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)
    if (lines.at(-1) === '') lines.pop()
    // The first line may be cut when reading started mid-file.
    if (position > 0 && lines.length > count) lines.shift()
    return lines.slice(-count)
  } finally {
    await handle.close()
  }
}
