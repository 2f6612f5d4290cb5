/** The outer layer of an archive, read from its first bytes. */
export type Compression = 'none' | 'gzip' | 'zstd' | 'unsupported'

const MAGIC: ReadonlyArray<readonly [Compression, readonly number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  // Formats recognised but not extracted here: zip, rar, 7z, bzip2, xz, lz4.
  ['unsupported', [0x50, 0x4b, 0x03, 0x04]],
  ['unsupported', [0x50, 0x4b, 0x05, 0x06]],
  ['unsupported', [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]],
  ['unsupported', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
  ['unsupported', [0x42, 0x5a, 0x68]],
  ['unsupported', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['unsupported', [0x04, 0x22, 0x4d, 0x18]],
]

/** The compression of the stream starting with `head`, by magic bytes; 'none' for anything else. */
export function detectCompression(head: Uint8Array): Compression {
  for (const [kind, magic] of MAGIC) {
    if (head.length >= magic.length && magic.every((byte, i) => head[i] === byte)) return kind
  }
  return 'none'
}

/** Whether `block` is a tar header: ustar/GNU magic, or a valid checksum (old v7 tar). */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.length < 512) return false
  const buf = Buffer.from(block.buffer, block.byteOffset, 512)
  if (buf.toString('latin1', 257, 262) === 'ustar') return true
  const stored = Number.parseInt(
    buf
      .toString('latin1', 148, 156)
      .replace(/[\0 ]+/g, ' ')
      .trim(),
    8,
  )
  if (!Number.isFinite(stored) || buf[0] === 0) return false
  let sum = 0
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (buf[i] ?? 0)
  return sum === stored
}
