import { isInvalidTokenError } from '@node/shared-kernel'
import { describe, expect, it } from 'vitest'

import { TokenPayload } from './token-payload.js'

function thrown(read: () => unknown): unknown {
  try {
    read()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

describe('TokenPayload', () => {
  it('refuses payloads that are not JSON objects', () => {
    for (const payload of [null, 'text', 42, [1]]) {
      expect(isInvalidTokenError(thrown(() => new TokenPayload(payload)))).toBe(true)
    }
  })

  it('reads absent and null claims as undefined', () => {
    const payload = new TokenPayload({ a: null })

    expect(payload.integer('a')).toBeUndefined()
    expect(payload.string('b')).toBeUndefined()
    expect(payload.stringArray('a')).toBeUndefined()
    expect(payload.has('a')).toBe(false)
  })

  it('reads only own claims, never inherited ones', () => {
    const payload = new TokenPayload(JSON.parse('{"__proto__":{"exp":1}}'))

    expect(payload.integer('exp')).toBeUndefined()
    expect(payload.string('toString')).toBeUndefined()
  })

  it('treats an empty id as absent', () => {
    expect(new TokenPayload({ jti: '' }).id('jti')).toBeUndefined()
  })

  it('throws InvalidTokenError for claims of the wrong type or shape', () => {
    const payload = new TokenPayload({
      exp: 1.5,
      big: 2 ** 60,
      id: 7,
      long: 'x'.repeat(257),
      uuid: 'd3aac109-e5e0-4331-b03e-3454f7e136dZ',
      list: ['a', 1],
      scope: ['websocket'],
    })

    for (const read of [
      () => payload.integer('exp'),
      () => payload.integer('big'),
      () => payload.id('id'),
      () => payload.id('long'),
      () => payload.uuid('uuid'),
      () => payload.stringArray('list'),
      () => payload.scopes(),
    ]) {
      expect(isInvalidTokenError(thrown(read))).toBe(true)
    }
  })

  it('splits scope on spaces', () => {
    expect(new TokenPayload({ scope: 'websocket file-upload' }).scopes()).toEqual([
      'websocket',
      'file-upload',
    ])
  })
})
