import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import { BlockList, isIP } from 'node:net'

const INTERNAL_DESTINATION = 'downloader: destination resolves to internal network location'

// Loopback, private, link-local (cloud metadata at 169.254.169.254 and fd00:ec2::254 included),
// shared, reserved, multicast and unspecified ranges: nothing a public download lives in.
const IPV4_RANGES: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
]
const IPV6_RANGES: readonly [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
]

const internal = new BlockList()
for (const [address, prefix] of IPV4_RANGES) internal.addSubnet(address, prefix, 'ipv4')
for (const [address, prefix] of IPV6_RANGES) internal.addSubnet(address, prefix, 'ipv6')

/**
 * Whether a connected or resolved address is internal. IPv6 forms that carry an IPv4 address
 * (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are
 * judged by that address. Anything that is not an IP address at all is refused.
 */
export function isInternalAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  const family = isIP(bare)
  if (family === 4) return internal.check(bare, 'ipv4')
  if (family !== 6) return true
  const embedded = embeddedIpv4(bare)
  if (embedded !== undefined && internal.check(embedded, 'ipv4')) return true
  return internal.check(bare, 'ipv6')
}

/** The IPv4 address inside an IPv6 one, for the forms that route to IPv4. */
export function embeddedIpv4(address: string): string | undefined {
  const words = expandIpv6(address)
  if (words === undefined) return undefined
  const v4 = (high: number, low: number): string =>
    [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.')
  const zeros = (from: number, to: number): boolean => words.slice(from, to).every((w) => w === 0)
  if (zeros(0, 5) && (words[5] === 0xffff || words[5] === 0)) return v4(words[6]!, words[7]!)
  if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) return v4(words[6]!, words[7]!)
  if (words[0] === 0x2002) return v4(words[1]!, words[2]!)
  return undefined
}

function expandIpv6(address: string): number[] | undefined {
  let text = address.toLowerCase()
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    const parts = dotted[1]!.split('.').map(Number)
    const high = ((parts[0]! << 8) | parts[1]!).toString(16)
    const low = ((parts[2]! << 8) | parts[3]!).toString(16)
    text = text.slice(0, -dotted[1]!.length) + `${high}:${low}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] === '' ? [] : halves[0]!.split(':')
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1]!.split(':') : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined
  const words = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  const parsed = words.map((word) => Number.parseInt(word, 16))
  return parsed.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffff)
    ? parsed
    : undefined
}

export class InternalDestinationError extends Error {
  constructor() {
    super(INTERNAL_DESTINATION)
    this.name = 'InternalDestinationError'
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/**
 * A `lookup` for net/http/https that fails when any resolved address is refused (default: the
 * internal ones), so that the address connected to was checked (no second resolution for a
 * rebinding DNS server to answer differently).
 */
export function guardedLookupWith(
  refuse: (address: string) => boolean,
): (hostname: string, options: LookupOptions, callback: LookupCallback) => void {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, [])
        return
      }
      if (addresses.length === 0 || addresses.some((a) => refuse(a.address))) {
        callback(new InternalDestinationError(), [])
        return
      }
      if (options.all === true) callback(null, addresses)
      else callback(null, addresses[0]!.address, addresses[0]!.family)
    })
  }
}

export const guardedLookup = guardedLookupWith(isInternalAddress)
