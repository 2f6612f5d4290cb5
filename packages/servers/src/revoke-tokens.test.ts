import { buildServerConfiguration } from '@node/server-state/testing'
import { afterEach, describe, expect, it } from 'vitest'

import { createTestServers, type TestServers } from './testing/index.js'

const A = '60718293-0000-4000-8000-00000000000a'
const B = '60718293-0000-4000-8000-00000000000b'
const USER = '60718293-0000-4000-8000-0000000000ff'
let t: TestServers | undefined

afterEach(async () => {
  await t?.[Symbol.asyncDispose]()
  t = undefined
})

describe('RevokeTokens', () => {
  it('denies the user on the servers named and tells the capabilities which', async () => {
    t = await createTestServers({ configurations: [A, B].map((u) => buildServerConfiguration(u)) })
    await t.servers.load()
    const heard: string[][] = []
    t.servers.events.on('deauthorized', ({ servers }) => heard.push(servers.map((s) => s.uuid)))

    t.revoke.deauthorizeUser(USER, [t.servers.get(A)!])
    t.revoke.deauthorizeUser(USER, 'all')
    t.revoke.denyJtis(['jti-1'])

    expect(t.denyList.deauthorized).toEqual([
      { userUuid: USER, servers: [A] },
      { userUuid: USER, servers: 'all' },
    ])
    expect(heard).toEqual([[A], [A, B]])
    expect(t.denyList.deniedJtis).toEqual(['jti-1'])
  })
})
