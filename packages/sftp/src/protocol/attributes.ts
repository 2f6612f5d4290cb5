import { ATTR_FLAG } from './constants.js'
import type { PacketReader } from './packet-reader.js'

/** SFTP file attributes; absent fields are not sent (or were not sent by the client). */
export interface FileAttributes {
  readonly size?: number
  readonly uid?: number
  readonly gid?: number
  /** Type and permission bits, as `st_mode`. */
  readonly mode?: number
  /** Seconds since the epoch. */
  readonly atime?: number
  readonly mtime?: number
}

/** Reads an ATTRS structure; extended pairs are read and dropped. */
export function readAttributes(reader: PacketReader): FileAttributes {
  const flags = reader.uint32()
  const attrs: { -readonly [K in keyof FileAttributes]: FileAttributes[K] } = {}
  if (flags & ATTR_FLAG.SIZE) attrs.size = safeNumber(reader.uint64())
  if (flags & ATTR_FLAG.UIDGID) {
    attrs.uid = reader.uint32()
    attrs.gid = reader.uint32()
  }
  if (flags & ATTR_FLAG.PERMISSIONS) attrs.mode = reader.uint32()
  if (flags & ATTR_FLAG.ACMODTIME) {
    attrs.atime = reader.uint32()
    attrs.mtime = reader.uint32()
  }
  if (flags & ATTR_FLAG.EXTENDED) {
    const count = reader.uint32()
    for (let i = 0; i < count; i++) {
      reader.bytes()
      reader.bytes()
    }
  }
  return attrs
}

/** Encodes `attrs` as an ATTRS structure. */
export function encodeAttributes(attrs: FileAttributes): Buffer {
  let flags = 0
  let length = 4
  if (attrs.size !== undefined) {
    flags |= ATTR_FLAG.SIZE
    length += 8
  }
  if (attrs.uid !== undefined && attrs.gid !== undefined) {
    flags |= ATTR_FLAG.UIDGID
    length += 8
  }
  if (attrs.mode !== undefined) {
    flags |= ATTR_FLAG.PERMISSIONS
    length += 4
  }
  if (attrs.atime !== undefined && attrs.mtime !== undefined) {
    flags |= ATTR_FLAG.ACMODTIME
    length += 8
  }
  const out = Buffer.allocUnsafe(length)
  let at = out.writeUInt32BE(flags >>> 0, 0)
  if (flags & ATTR_FLAG.SIZE) at = out.writeBigUInt64BE(BigInt(attrs.size ?? 0), at)
  if (flags & ATTR_FLAG.UIDGID) {
    at = out.writeUInt32BE(uint32(attrs.uid), at)
    at = out.writeUInt32BE(uint32(attrs.gid), at)
  }
  if (flags & ATTR_FLAG.PERMISSIONS) at = out.writeUInt32BE(uint32(attrs.mode), at)
  if (flags & ATTR_FLAG.ACMODTIME) {
    at = out.writeUInt32BE(uint32(attrs.atime), at)
    out.writeUInt32BE(uint32(attrs.mtime), at)
  }
  return out
}

function uint32(value: number | undefined): number {
  return Math.min(Math.max(Math.trunc(value ?? 0), 0), 0xffffffff)
}

function safeNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value)
}
