import type { NetworkInterfaceInfo } from 'node:os'

import { describe, expect, it } from 'vitest'

import { systemIps } from './system-ips.js'

const iface = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
  family === 'IPv4'
    ? { address, family, internal, netmask: '', mac: '', cidr: null }
    : { address, family, internal, netmask: '', mac: '', cidr: null, scopeid: 0 }

describe('systemIps', () => {
  it('lists addresses that are neither loopback nor link-local, then configured ones', () => {
    const ips = systemIps(['203.0.113.7', '192.0.2.2'], {
      lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
      eth0: [
        iface('192.0.2.2', 'IPv4'),
        iface('fd00::2', 'IPv6'),
        iface('fe80::fc:ff:fe00:1', 'IPv6'),
        iface('169.254.10.1', 'IPv4'),
      ],
    })

    expect(ips).toEqual({ ip_addresses: ['192.0.2.2', 'fd00::2', '203.0.113.7'] })
  })

  it('answers an empty list, never null, when there is nothing to list', () => {
    expect(systemIps([], {})).toEqual({ ip_addresses: [] })
  })
})
