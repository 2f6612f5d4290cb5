import { describe, expect, it } from 'vitest'

import { embeddedIpv4, guardedLookup, isInternalAddress } from './address-guard.js'

describe('isInternalAddress', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '0.0.0.0',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '[::1]',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd00:ec2::254',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '::127.0.0.1',
    '64:ff9b::a00:1',
    '2002:7f00:1::',
    'not-an-ip',
    '',
  ])('refuses %s', (address) => {
    expect(isInternalAddress(address)).toBe(true)
  })

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'accepts %s',
    (address) => {
      expect(isInternalAddress(address)).toBe(false)
    },
  )

  it('finds the IPv4 address inside IPv6 forms', () => {
    expect(embeddedIpv4('::ffff:10.0.0.1')).toBe('10.0.0.1')
    expect(embeddedIpv4('64:ff9b::0808:0808')).toBe('8.8.8.8')
    expect(embeddedIpv4('2606:4700::1111')).toBeUndefined()
  })
})

describe('guardedLookup', () => {
  it('refuses a name that resolves to loopback', async () => {
    const error = await new Promise<Error | null>((resolve) => {
      guardedLookup('localhost', {}, (err) => resolve(err))
    })
    expect(error?.message).toBe('downloader: destination resolves to internal network location')
  })
})
