import { crc32, deflateRawSync, gzipSync } from 'node:zlib'

export interface TarEntry {
  readonly name: string
  readonly type?: 'file' | 'directory' | 'symlink' | 'hardlink'
  readonly data?: Buffer | string
  /** Declared size, when it should differ from the data (e.g. a bomb's entry). */
  readonly size?: number
  readonly linkname?: string
  readonly mode?: number
}

const TYPE_FLAG = { file: '0', hardlink: '1', symlink: '2', directory: '5' } as const

/** A ustar archive, written by hand so that tests can put anything in it (`..`, `/abs`, links). */
function tar(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = []
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? '')
    const type = entry.type ?? 'file'
    const header = Buffer.alloc(512)
    const put = (text: string, offset: number, length: number): void => {
      header.write(text.slice(0, length), offset, length, 'utf8')
    }
    const octal = (value: number, offset: number, length: number): void => {
      put(value.toString(8).padStart(length - 1, '0'), offset, length - 1)
    }
    put(entry.name, 0, 100)
    octal(entry.mode ?? (type === 'directory' ? 0o755 : 0o644), 100, 8)
    octal(0, 108, 8)
    octal(0, 116, 8)
    octal(type === 'file' ? (entry.size ?? data.length) : 0, 124, 12)
    octal(Math.floor(Date.UTC(2024, 0, 1) / 1000), 136, 12)
    header.fill(' ', 148, 156)
    put(TYPE_FLAG[type], 156, 1)
    put(entry.linkname ?? '', 157, 100)
    put('ustar\0', 257, 6)
    put('00', 263, 2)
    let sum = 0
    for (const byte of header) sum += byte
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8)
    blocks.push(header)
    if (type === 'file') {
      blocks.push(data)
      const size = entry.size ?? data.length
      if (size > data.length) blocks.push(Buffer.alloc(size - data.length))
      const padding = (512 - (size % 512)) % 512
      blocks.push(Buffer.alloc(padding))
    }
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

export function tarGz(entries: readonly TarEntry[]): Buffer {
  return gzipSync(tar(entries))
}

export interface ZipEntry {
  readonly name: string
  readonly data: string | Buffer
  /** Deflate the data (method 8) instead of storing it. */
  readonly deflate?: boolean
  /** The uncompressed size declared in the headers, when it should lie about the data. */
  readonly declaredSize?: number
  /** Flip a byte of the stored data after its CRC-32 was computed: a corrupted entry. */
  readonly corrupt?: boolean
}

/** A zip of stored (or deflated) entries, names verbatim; headers may lie on purpose. */
export function zip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const entry of entries) {
    const name = Buffer.from(entry.name)
    const plain = Buffer.from(entry.data)
    const crc = crc32(plain)
    const data = entry.deflate ? deflateRawSync(plain) : Buffer.from(plain)
    if (entry.corrupt) data[data.length >> 1]! ^= 0xff
    const size = entry.declaredSize ?? plain.length
    const method = entry.deflate ? 8 : 0
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(method, 8)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(size, 22)
    local.writeUInt16LE(name.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(method, 10)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(data.length, 20)
    central.writeUInt32LE(size, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(0o100644 * 0x10000, 38)
    central.writeUInt32LE(offset, 42)
    locals.push(local, name, data)
    centrals.push(central, name)
    offset += local.length + name.length + data.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}
