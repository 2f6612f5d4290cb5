import { encodeAttributes, type FileAttributes } from './attributes.js'
import { PACKET, type StatusCode } from './constants.js'

/** One entry of a NAME answer (READDIR, REALPATH). */
export interface NameEntry {
  readonly filename: string
  /** The `ls -l` line OpenSSH's client prints for `ls -l`. */
  readonly longname: string
  readonly attrs: FileAttributes
}

// Every packet is `uint32 length, byte type, …`; these build the whole thing, length included.

export function versionPacket(version: number, extensions: readonly [string, string][]): Buffer {
  return packet(PACKET.VERSION, [
    uint32(version),
    ...extensions.flatMap(([n, d]) => [str(n), str(d)]),
  ])
}

export function statusPacket(id: number, code: StatusCode, message: string): Buffer {
  return packet(PACKET.STATUS, [uint32(id), uint32(code), str(message), str('')])
}

export function handlePacket(id: number, handle: Buffer): Buffer {
  return packet(PACKET.HANDLE, [uint32(id), str(handle)])
}

/** DATA: header and payload as two buffers, so a read is never copied. */
export function dataPacket(id: number, data: Buffer): Buffer[] {
  const header = Buffer.allocUnsafe(13)
  header.writeUInt32BE(9 + data.length, 0)
  header.writeUInt8(PACKET.DATA, 4)
  header.writeUInt32BE(id, 5)
  header.writeUInt32BE(data.length, 9)
  return [header, data]
}

export function namePacket(id: number, entries: readonly NameEntry[]): Buffer {
  const parts = [uint32(id), uint32(entries.length)]
  for (const entry of entries) {
    parts.push(str(entry.filename), str(entry.longname), encodeAttributes(entry.attrs))
  }
  return packet(PACKET.NAME, parts)
}

export function attrsPacket(id: number, attrs: FileAttributes): Buffer {
  return packet(PACKET.ATTRS, [uint32(id), encodeAttributes(attrs)])
}

export function extendedReplyPacket(id: number, data: Buffer): Buffer {
  return packet(PACKET.EXTENDED_REPLY, [uint32(id), data])
}

export function uint32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4)
  out.writeUInt32BE(value >>> 0, 0)
  return out
}

export function uint64(value: number): Buffer {
  const out = Buffer.allocUnsafe(8)
  out.writeBigUInt64BE(BigInt(value), 0)
  return out
}

function str(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  return Buffer.concat([uint32(bytes.length), bytes])
}

function packet(type: number, parts: readonly Buffer[]): Buffer {
  const body = Buffer.concat(parts)
  const out = Buffer.allocUnsafe(5 + body.length)
  out.writeUInt32BE(1 + body.length, 0)
  out.writeUInt8(type, 4)
  body.copy(out, 5)
  return out
}
