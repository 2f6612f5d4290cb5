import { lookup } from 'mime-types'

import type { Jail, JailStats } from '@node/filesystem-jail'

const DIRECTORY_MIME = 'inode/directory'
export const BINARY_MIME = 'application/octet-stream'
const TEXT_MIME = 'text/plain; charset=utf-8'
const SNIFF_BYTES = 512

// Game-server files that mime-db does not know: what the reference's content sniffing reports
// for them in practice (text configs editable in the Panel, world data binary).
const GAME_SERVER_TYPES: Readonly<Record<string, string>> = {
  '.properties': TEXT_MIME,
  '.cfg': TEXT_MIME,
  '.lang': TEXT_MIME,
  '.env': TEXT_MIME,
  '.mcmeta': TEXT_MIME,
  '.py': TEXT_MIME,
  '.ps1': TEXT_MIME,
  '.bat': TEXT_MIME,
  '.sk': TEXT_MIME,
  '.dat': BINARY_MIME,
  '.mca': BINARY_MIME,
  '.nbt': BINARY_MIME,
  '.db': BINARY_MIME,
}

/**
 * The MIME type from what costs nothing: the kind, the size, the extension. `undefined` means
 * only the content can tell (a regular file with an unknown extension).
 */
export function cheapMime(name: string, stats: JailStats): string | undefined {
  if (stats.kind === 'directory') return DIRECTORY_MIME
  if (stats.kind !== 'file') return BINARY_MIME
  // An empty file sniffs as text in the reference's detector.
  if (stats.size === 0) return TEXT_MIME
  const dot = name.lastIndexOf('.')
  if (dot <= 0) return undefined
  const extension = name.slice(dot).toLowerCase()
  const known = GAME_SERVER_TYPES[extension]
  if (known !== undefined) return known
  const type = lookup(extension)
  if (type === false) return undefined
  // The reference's detector labels text with its charset and nothing else.
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type
}

/** Text when the first bytes hold no NUL and decode as UTF-8 (a cut last character allowed). */
export function sniffMime(head: Uint8Array): string {
  if (head.length === 0) return TEXT_MIME
  if (head.includes(0)) return BINARY_MIME
  for (let cut = 0; cut < 4 && cut < head.length; cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut))
      return TEXT_MIME
    } catch {
      // Perhaps a multi-byte character cut at the end: try a shorter prefix.
    }
  }
  return BINARY_MIME
}

/** Reads up to 512 bytes of `path` through the jail; anything that cannot be read is binary. */
export async function sniffFile(jail: Jail, path: string): Promise<string> {
  let readable
  try {
    readable = await jail.openRead(path, { highWaterMark: SNIFF_BYTES })
  } catch {
    return BINARY_MIME
  }
  const { stream } = readable
  try {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk)
      size += chunk.length
      if (size >= SNIFF_BYTES) break
    }
    return sniffMime(Buffer.concat(chunks).subarray(0, SNIFF_BYTES))
  } catch {
    return BINARY_MIME
  } finally {
    stream.destroy()
  }
}
