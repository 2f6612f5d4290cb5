import { describe, expect, it } from 'vitest'

import { activityIp } from './client-ip.js'

describe('activityIp', () => {
  it('strips the port of an IPv4 and a bracketed IPv6 address', () => {
    expect(activityIp('203.0.113.7:51234')).toBe('203.0.113.7')
    expect(activityIp('[2001:db8::1]:443')).toBe('2001:db8::1')
  })

  it('keeps bare addresses and writes IPv4-mapped IPv6 as IPv4', () => {
    expect(activityIp('203.0.113.7')).toBe('203.0.113.7')
    expect(activityIp('2001:DB8::1')).toBe('2001:db8::1')
    expect(activityIp('::ffff:127.0.0.1')).toBe('127.0.0.1')
    expect(activityIp('::1')).toBe('::1')
  })

  it('refuses what is no IP address', () => {
    for (const bad of ['', 'localhost', '256.1.1.1', '01.2.3.4', '2001:db8::1%eth0', '1.2.3']) {
      expect(activityIp(bad)).toBeUndefined()
    }
  })
})
