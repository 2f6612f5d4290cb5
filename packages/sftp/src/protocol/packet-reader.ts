/** A packet that ends before the fields its type promises. */
export class MalformedPacketError extends Error {
  constructor(message = 'malformed SFTP packet') {
    super(message)
    this.name = 'MalformedPacketError'
  }
}

/** Reads the big-endian fields of one SFTP packet, throwing MalformedPacketError on overrun. */
export class PacketReader {
  readonly #packet: Buffer
  #at: number

  constructor(packet: Buffer, offset = 0) {
    this.#packet = packet
    this.#at = offset
  }

  get remaining(): number {
    return this.#packet.length - this.#at
  }

  uint8(): number {
    this.#need(1)
    return this.#packet.readUInt8(this.#at++)
  }

  uint32(): number {
    this.#need(4)
    const value = this.#packet.readUInt32BE(this.#at)
    this.#at += 4
    return value
  }

  uint64(): bigint {
    this.#need(8)
    const value = this.#packet.readBigUInt64BE(this.#at)
    this.#at += 8
    return value
  }

  /** A length-prefixed string as raw bytes (a view into the packet). */
  bytes(): Buffer {
    const length = this.uint32()
    this.#need(length)
    const value = this.#packet.subarray(this.#at, this.#at + length)
    this.#at += length
    return value
  }

  /** A length-prefixed string decoded as UTF-8 (file names, extension names). */
  text(): string {
    return this.bytes().toString('utf8')
  }

  #need(bytes: number): void {
    if (this.#at + bytes > this.#packet.length) throw new MalformedPacketError()
  }
}
