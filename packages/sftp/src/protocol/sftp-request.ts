import { readAttributes, type FileAttributes } from './attributes.js'
import { PACKET } from './constants.js'
import { MalformedPacketError, PacketReader } from './packet-reader.js'

/** One client request, decoded. Offsets stay bigint: clients may send any uint64. */
export type SftpRequest =
  | { readonly type: 'init'; readonly version: number }
  | {
      readonly type: 'open'
      readonly id: number
      readonly path: string
      readonly flags: number
      readonly attrs: FileAttributes
    }
  | { readonly type: 'close' | 'fstat' | 'readdir'; readonly id: number; readonly handle: Buffer }
  | {
      readonly type: 'read'
      readonly id: number
      readonly handle: Buffer
      readonly offset: bigint
      readonly length: number
    }
  | {
      readonly type: 'write'
      readonly id: number
      readonly handle: Buffer
      readonly offset: bigint
      readonly data: Buffer
    }
  | {
      readonly type: 'lstat' | 'stat' | 'opendir' | 'remove' | 'rmdir' | 'realpath' | 'readlink'
      readonly id: number
      readonly path: string
    }
  | {
      readonly type: 'setstat' | 'mkdir'
      readonly id: number
      readonly path: string
      readonly attrs: FileAttributes
    }
  | {
      readonly type: 'fsetstat'
      readonly id: number
      readonly handle: Buffer
      readonly attrs: FileAttributes
    }
  | { readonly type: 'rename'; readonly id: number; readonly from: string; readonly to: string }
  | {
      readonly type: 'symlink'
      readonly id: number
      // OpenSSH sends these two in the reverse order of the draft; both are refused alike.
      readonly first: string
      readonly second: string
    }
  | { readonly type: 'extended'; readonly id: number; readonly name: string; readonly data: Buffer }
  | { readonly type: 'unknown'; readonly id: number; readonly packetType: number }

/**
 * Decodes one packet (type byte first, length prefix already removed). Throws
 * MalformedPacketError when the packet is shorter than its type requires.
 */
export function parseRequest(packet: Buffer): SftpRequest {
  const r = new PacketReader(packet)
  const type = r.uint8()
  if (type === PACKET.INIT) return { type: 'init', version: r.uint32() }
  const id = r.uint32()
  switch (type) {
    case PACKET.OPEN:
      return { type: 'open', id, path: r.text(), flags: r.uint32(), attrs: readAttributes(r) }
    case PACKET.CLOSE:
      return { type: 'close', id, handle: r.bytes() }
    case PACKET.FSTAT:
      return { type: 'fstat', id, handle: r.bytes() }
    case PACKET.READDIR:
      return { type: 'readdir', id, handle: r.bytes() }
    case PACKET.READ:
      return { type: 'read', id, handle: r.bytes(), offset: r.uint64(), length: r.uint32() }
    case PACKET.WRITE:
      return { type: 'write', id, handle: r.bytes(), offset: r.uint64(), data: r.bytes() }
    case PACKET.LSTAT:
      return { type: 'lstat', id, path: r.text() }
    case PACKET.STAT:
      return { type: 'stat', id, path: r.text() }
    case PACKET.OPENDIR:
      return { type: 'opendir', id, path: r.text() }
    case PACKET.REMOVE:
      return { type: 'remove', id, path: r.text() }
    case PACKET.RMDIR:
      return { type: 'rmdir', id, path: r.text() }
    case PACKET.REALPATH:
      return { type: 'realpath', id, path: r.text() }
    case PACKET.READLINK:
      return { type: 'readlink', id, path: r.text() }
    case PACKET.SETSTAT:
      return { type: 'setstat', id, path: r.text(), attrs: readAttributes(r) }
    case PACKET.MKDIR:
      return { type: 'mkdir', id, path: r.text(), attrs: readAttributes(r) }
    case PACKET.FSETSTAT:
      return { type: 'fsetstat', id, handle: r.bytes(), attrs: readAttributes(r) }
    case PACKET.RENAME:
      return { type: 'rename', id, from: r.text(), to: r.text() }
    case PACKET.SYMLINK:
      return { type: 'symlink', id, first: r.text(), second: r.text() }
    case PACKET.EXTENDED:
      return {
        type: 'extended',
        id,
        name: r.text(),
        data: packet.subarray(packet.length - r.remaining),
      }
    default:
      return { type: 'unknown', id, packetType: type }
  }
}

/** The request id of a packet that failed to decode, when it has one (to answer it). */
export function requestIdOf(packet: Buffer): number | undefined {
  if (packet.length < 5 || packet[0] === PACKET.INIT) return undefined
  return packet.readUInt32BE(1)
}

export { MalformedPacketError }
