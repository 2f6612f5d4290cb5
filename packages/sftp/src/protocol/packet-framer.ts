import { MalformedPacketError } from './packet-reader.js'

/**
 * Cuts the channel's byte stream into SFTP packets (`uint32 length` + that many bytes). A length
 * of 0 or above `maxPacketBytes` is a protocol violation: the framer throws and the session ends.
 */
export class PacketFramer {
  readonly #maxPacketBytes: number
  #chunks: Buffer[] = []
  #buffered = 0

  constructor(maxPacketBytes: number) {
    this.#maxPacketBytes = maxPacketBytes
  }

  /** Bytes held that do not yet make a whole packet. */
  get buffered(): number {
    return this.#buffered
  }

  /** Adds `chunk` and returns every packet now complete (length prefix removed). */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.#chunks.push(chunk)
      this.#buffered += chunk.length
    }
    const packets: Buffer[] = []
    while (this.#buffered >= 4) {
      const length = this.#peekLength()
      if (length === 0 || length > this.#maxPacketBytes) {
        throw new MalformedPacketError(`SFTP packet length ${length} is out of bounds`)
      }
      if (this.#buffered < 4 + length) break
      packets.push(this.#take(4 + length).subarray(4))
    }
    return packets
  }

  #peekLength(): number {
    const first = this.#chunks[0]!
    if (first.length >= 4) return first.readUInt32BE(0)
    this.#chunks = [Buffer.concat(this.#chunks)]
    return this.#chunks[0]!.readUInt32BE(0)
  }

  #take(bytes: number): Buffer {
    const first = this.#chunks[0]!
    let out: Buffer
    if (first.length >= bytes) {
      out = first.subarray(0, bytes)
      if (first.length === bytes) this.#chunks.shift()
      else this.#chunks[0] = first.subarray(bytes)
    } else {
      const all = Buffer.concat(this.#chunks)
      out = all.subarray(0, bytes)
      this.#chunks = all.length > bytes ? [all.subarray(bytes)] : []
    }
    this.#buffered -= bytes
    return out
  }
}
