import type { IncomingMessage } from 'node:http'

import { describe, expect, it } from 'vitest'

import { clientIpOf } from './client-ip.js'

function request(peer: string | undefined, forwardedFor?: string): IncomingMessage {
  return {
    socket: { remoteAddress: peer },
    connection: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  } as unknown as IncomingMessage
}

describe('clientIpOf', () => {
  it('takes the socket peer and ignores X-Forwarded-For from an untrusted peer', () => {
    expect(clientIpOf([])(request('203.0.113.7', '198.51.100.1'))).toBe('203.0.113.7')
  })

  it('follows X-Forwarded-For through a trusted proxy', () => {
    const ip = clientIpOf(['10.0.0.0/8'])

    expect(ip(request('10.1.2.3', '198.51.100.1'))).toBe('198.51.100.1')
    expect(ip(request('10.1.2.3', '198.51.100.1, 10.9.9.9'))).toBe('198.51.100.1')
  })

  it('gives an empty address for a socket already gone', () => {
    expect(clientIpOf([])(request(undefined))).toBe('')
  })
})
