import { isUtf8 } from 'node:buffer'

// Linux names are bytes; JS strings are UTF-16. A name that is not valid UTF-8 is carried
// through the jail losslessly the way Python's `surrogateescape` does it: each byte that is not
// part of a valid UTF-8 sequence becomes the lone surrogate U+DC80 + (byte - 0x80). Such a
// string goes back to the very same bytes at every system call (encodeName), and shows as the
// reference shows it (lossyName: Go's encoding/json writes U+FFFD for each such byte).

const ESCAPE = 0xdc00
const ESCAPED = /[\udc80-\udcff]/

/** The jail's name for raw bytes from the kernel: UTF-8 as it is, other bytes escaped. */
export function decodeName(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (isUtf8(buffer)) return buffer.toString('utf8')
  let out = ''
  let i = 0
  while (i < buffer.length) {
    const length = validSequenceAt(buffer, i)
    if (length === 0) {
      out += String.fromCharCode(ESCAPE + buffer[i]!)
      i += 1
    } else {
      out += buffer.toString('utf8', i, i + length)
      i += length
    }
  }
  return out
}

/** The bytes a jail name stands for: the string itself when it carries no escaped byte. */
export function encodeName(name: string): string | Buffer {
  if (!ESCAPED.test(name)) return name
  const parts: Buffer[] = []
  for (const char of name) {
    const code = char.charCodeAt(0)
    const escaped = char.length === 1 && code >= 0xdc80 && code <= 0xdcff
    parts.push(escaped ? Buffer.from([code - ESCAPE]) : Buffer.from(char, 'utf8'))
  }
  return Buffer.concat(parts)
}

/** How many bytes the name is on disk (NAME_MAX and PATH_MAX count bytes). */
export function nameByteLength(name: string): number {
  const encoded = encodeName(name)
  return typeof encoded === 'string' ? Buffer.byteLength(encoded) : encoded.length
}

/**
 * A jail name as the reference lists it, and as it is sent on the wire: every byte that is not
 * UTF-8 as U+FFFD (a lone surrogate, which JSON parsers refuse, never leaves the daemon).
 * A client's path written this way is found again by the jail when it names one entry only.
 */
export function lossyName(name: string): string {
  return name.replace(/[\ud800-\udfff]/g, (char, offset: number, whole: string) => {
    const code = char.charCodeAt(0)
    const pairedHigh = code <= 0xdbff && /[\udc00-\udfff]/.test(whole[offset + 1] ?? '')
    const pairedLow = code >= 0xdc00 && /[\ud800-\udbff]/.test(whole[offset - 1] ?? '')
    return pairedHigh || pairedLow ? char : '\uFFFD'
  })
}

/** Whether a name holds U+FFFD, i.e. may be a client's lossy spelling of a name on disk. */
export function mayBeLossy(name: string): boolean {
  return name.includes('\uFFFD')
}

/** The length of the valid UTF-8 sequence starting at `i` (RFC 3629, as Go decodes), or 0. */
function validSequenceAt(b: Buffer, i: number): number {
  const first = b[i]!
  if (first < 0x80) return 1
  const continuation = (at: number, low = 0x80, high = 0xbf): boolean => {
    const byte = b[at]
    return byte !== undefined && byte >= low && byte <= high
  }
  if (first >= 0xc2 && first <= 0xdf) return continuation(i + 1) ? 2 : 0
  if (first >= 0xe0 && first <= 0xef) {
    const low = first === 0xe0 ? 0xa0 : 0x80
    const high = first === 0xed ? 0x9f : 0xbf
    return continuation(i + 1, low, high) && continuation(i + 2) ? 3 : 0
  }
  if (first >= 0xf0 && first <= 0xf4) {
    const low = first === 0xf0 ? 0x90 : 0x80
    const high = first === 0xf4 ? 0x8f : 0xbf
    return continuation(i + 1, low, high) && continuation(i + 2) && continuation(i + 3) ? 4 : 0
  }
  return 0
}
