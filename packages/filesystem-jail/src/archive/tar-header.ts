import { encodeName, lossyName } from '../name-bytes.js'

/** What one tar entry describes; the writer knows only regular files and directories. */
export interface TarEntryHeader {
  /**
   * Relative path with '/' separators, a jail name (name-bytes.ts: bytes that are not UTF-8 are
   * written back as those bytes); directories end without a slash (added here).
   */
  readonly path: string
  readonly kind: 'file' | 'directory'
  readonly size: number
  readonly mode: number
  readonly mtime: Date
}

const BLOCK = 512
const USTAR_NAME = 100
const USTAR_PREFIX = 155
const OCTAL_SIZE_MAX = 0o77777777777

/** The 512-byte blocks that precede an entry's data: a PAX record when ustar cannot hold it. */
export function encodeTarHeader(entry: TarEntryHeader): Buffer {
  const name = entry.kind === 'directory' ? `${entry.path}/` : entry.path
  const size = entry.kind === 'directory' ? 0 : entry.size
  const split = splitUstarName(name)
  const needsPax = split === undefined || size > OCTAL_SIZE_MAX
  const header = ustar({
    name: split?.name ?? truncateUtf8(lossyName(name), USTAR_NAME),
    prefix: split?.prefix ?? '',
    size,
    mode: entry.mode & 0o7777,
    mtime: Math.max(0, Math.floor(entry.mtime.getTime() / 1000)),
    type: entry.kind === 'directory' ? '5' : '0',
  })
  if (!needsPax) return header
  const records: Buffer[] = []
  if (split === undefined) records.push(paxRecord('path', nameBytes(name)))
  if (size > OCTAL_SIZE_MAX) records.push(paxRecord('size', Buffer.from(String(size))))
  const body = Buffer.concat(records)
  const paxHeader = ustar({
    name: truncateUtf8(`PaxHeader/${lossyName(name)}`, USTAR_NAME),
    prefix: '',
    size: body.length,
    mode: 0o644,
    mtime: 0,
    type: 'x',
  })
  return Buffer.concat([paxHeader, body, Buffer.alloc(padding(body.length)), header])
}

/** Zero bytes that fill a member of `size` bytes up to the block boundary. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK
}

/** The end-of-archive marker: two zero blocks. */
export const TAR_TRAILER = Buffer.alloc(BLOCK * 2)

function ustar(h: {
  name: string
  prefix: string
  size: number
  mode: number
  mtime: number
  type: string
}): Buffer {
  const b = Buffer.alloc(BLOCK)
  b.write(h.name, 0, USTAR_NAME, 'utf8')
  octal(b, 100, 8, h.mode)
  octal(b, 108, 8, 0)
  octal(b, 116, 8, 0)
  octal(b, 124, 12, Math.min(h.size, OCTAL_SIZE_MAX))
  octal(b, 136, 12, h.mtime)
  b.write(h.type, 156, 1, 'ascii')
  b.write('ustar\u000000', 257, 8, 'ascii')
  b.write(h.prefix, 345, USTAR_PREFIX, 'utf8')
  b.fill(0x20, 148, 156)
  let sum = 0
  for (const byte of b) sum += byte
  octal(b, 148, 7, sum)
  return b
}

function octal(b: Buffer, offset: number, length: number, value: number): void {
  b.write(value.toString(8).padStart(length - 1, '0'), offset, length - 1, 'ascii')
}

/** ustar's name/prefix split, when the path fits it (ASCII-only, so byte lengths are exact). */
function splitUstarName(name: string): { name: string; prefix: string } | undefined {
  if (!/^[\x20-\x7e]*$/.test(name)) return undefined
  if (name.length <= USTAR_NAME) return { name, prefix: '' }
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i)
    const rest = name.slice(i + 1)
    if (prefix.length <= USTAR_PREFIX && rest.length > 0 && rest.length <= USTAR_NAME) {
      return { name: rest, prefix }
    }
  }
  return undefined
}

// A PAX record is "<length> <key>=<value>\n" where the length counts itself. The value is bytes:
// a path keeps bytes that are not UTF-8, as GNU tar writes them.
function paxRecord(key: string, value: Buffer): Buffer {
  const core = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')])
  const coreBytes = core.length
  let length = coreBytes + String(coreBytes).length
  if (String(length).length + coreBytes !== length) length = coreBytes + String(length).length
  return Buffer.concat([Buffer.from(String(length)), core])
}

function nameBytes(name: string): Buffer {
  const encoded = encodeName(name)
  return typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded
}

function truncateUtf8(text: string, bytes: number): string {
  const buf = Buffer.from(text, 'utf8')
  return buf.length <= bytes
    ? text
    : buf
        .subarray(0, bytes)
        .toString('utf8')
        .replace(/\uFFFD+$/, '')
}
