import { ZERO_RESOURCE_SAMPLE } from '@node/server-state'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { Client, eventually, quiet, startHarness, type Harness } from './websocket-harness.js'

// Issue 4 against real `ws` clients, a real HTTP server, the real JwtTokenVerifier and tokens
// minted by panel-sim as the Panel mints them. Power and commands are recorded at the edge.

let h: Harness
const clients: Client[] = []

beforeAll(async () => {
  h = await startHarness({ authTimeoutMs: 1500 })
})
afterAll(async () => {
  await h.close()
})
afterEach(() => {
  for (const client of clients.splice(0)) client.close()
  h.actions.power.length = 0
  h.actions.commands.length = 0
  h.actions.powerError = undefined
  h.actions.running = false
  h.server.setState('offline')
  h.server.forceSuspended(false)
  h.clock.offsetMs = 0
})

async function connect(): Promise<Client> {
  const client = await Client.open(h.url())
  clients.push(client)
  return client
}

async function authed(permissions?: readonly string[]): Promise<Client> {
  const client = await connect()
  await client.authenticate(h.token(permissions))
  await client.next('status')
  return client
}

const ERROR_EVENT = /^Error Event \[[0-9a-f-]{36}\]: /

describe('connection', () => {
  it('refuses an unknown server with the 404 body, before any upgrade', async () => {
    await expect(Client.open(h.url('00000000-0000-4000-8000-000000000000'))).rejects.toThrow(
      'HTTP 404',
    )
  })

  it('refuses a malformed escape in the server segment with 404 (and keeps serving)', async () => {
    await expect(Client.open(h.url('%zz'))).rejects.toThrow('HTTP 404')
    await expect(Client.open(h.url('%E0%A4%A'))).rejects.toThrow('HTTP 404')
    expect((await connect()).closed).toBeUndefined()
  })

  it('refuses a foreign or missing Origin with 403', async () => {
    await expect(Client.open(h.url(), 'https://evil.example.com')).rejects.toThrow('HTTP 403')
    await expect(Client.open(h.url(), null)).rejects.toThrow('HTTP 403')
  })

  it('closes with 4409 when the server is suspended', async () => {
    h.server.forceSuspended(true)
    const client = await connect()

    expect(await client.closedWith()).toEqual({ code: 4409, reason: 'server is suspended' })
  })

  it('closes a socket that does not authenticate in time', async () => {
    const client = await connect()

    expect(await client.closedWith(4000)).toEqual({
      code: 4001,
      reason: 'authentication timed out',
    })
  })

  it('closes with 1009 on a frame over 4096 bytes', async () => {
    const client = await connect()
    client.send('auth', 'x'.repeat(5000))

    expect((await client.closedWith()).code).toBe(1009)
  })
})

describe('auth', () => {
  it('answers auth success, then the status and the stats of an offline server', async () => {
    const client = await connect()
    client.send('auth', h.token())

    await client.next('stats')
    expect(client.frames.slice(0, 3)).toEqual([
      { event: 'auth success' },
      { event: 'status', args: ['offline'] },
      {
        event: 'stats',
        args: [
          '{"memory_bytes":0,"memory_limit_bytes":0,"cpu_absolute":0,"network":{"rx_bytes":0,"tx_bytes":0},"uptime":0,"state":"offline","disk_bytes":0}',
        ],
      },
    ])
    expect(client.raw[0]).toBe('{"event":"auth success"}\n')
  })

  it('keeps the socket on a re-auth and answers only auth success', async () => {
    const client = await authed()
    const from = client.frames.length

    await client.authenticate(h.token())
    await quiet()

    expect(client.frames.slice(from)).toEqual([{ event: 'auth success' }])
  })

  it.each([
    ['a wrong key', { tamper: { wrongKey: true } }],
    ['alg none', { tamper: { algorithm: 'none' as const } }],
    ['a tampered claim', { tamper: { header: { alg: 'HS512' } } }],
  ])('answers a token signed with %s with the generic daemon error', async (_what, options) => {
    const client = await connect()
    client.send('auth', h.token(['*'], options))

    const frame = await client.next('daemon error')
    expect(frame.args![0]).toMatch(ERROR_EVENT)
    expect(frame.args![0]).toMatch(
      /an unexpected error was encountered while handling this request$/,
    )
    expect(client.frames.some((f) => f.event === 'auth success')).toBe(false)
  })

  it('refuses a token whose claims were changed after signing', async () => {
    const [header, payload, signature] = h.token(['websocket.connect']).split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<
      string,
      unknown
    >
    claims['permissions'] = ['*', 'admin.websocket.errors']
    const forged = [
      header,
      Buffer.from(JSON.stringify(claims)).toString('base64url'),
      signature,
    ].join('.')
    const client = await connect()
    client.send('auth', forged)

    expect((await client.next('daemon error')).args![0]).toMatch(/an unexpected error was/)
    expect(client.frames.some((f) => f.event === 'auth success')).toBe(false)
  })

  it('answers an expired token with jwt error, prefixed', async () => {
    const client = await connect()
    client.send('auth', h.token(['*'], { tamper: { expired: true } }))

    const frame = await client.next('jwt error')
    expect(frame.args![0]).toMatch(ERROR_EVENT)
    expect(frame.args![0]).toMatch(/jwt: exp claim is invalid$/)
  })

  it('refuses a token without websocket.connect', async () => {
    const client = await connect()
    client.send('auth', h.token(['control.console']))

    expect((await client.next('jwt error')).args![0]).toMatch(/jwt: missing connect permission$/)
  })

  it('lets a token of another server authenticate, then refuses every use of it', async () => {
    const client = await connect()
    const foreign = h.sim.tokens.websocket({ server: h.sim.servers()[0]!.uuid }).token
    await client.authenticate(foreign)
    const otherServer = await Client.open(h.url(h.other.uuid))
    clients.push(otherServer)
    await otherServer.authenticate(foreign)

    otherServer.send('send stats')

    expect(await otherServer.next('jwt error')).toEqual({
      event: 'jwt error',
      args: ['jwt: server uuid mismatch'],
    })
  })

  it("never shows another server's status or stats to its token, not even at auth", async () => {
    const foreign = h.sim.tokens.websocket({ server: h.sim.servers()[0]!.uuid }).token
    const client = await Client.open(h.url(h.other.uuid))
    clients.push(client)

    client.send('auth', foreign)
    await client.until(() => (client.frames.length >= 3 ? true : undefined), 'three frames')
    await quiet()

    expect(client.frames).toEqual([
      { event: 'auth success' },
      { event: 'jwt error', args: ['jwt: server uuid mismatch'] },
      { event: 'jwt error', args: ['jwt: server uuid mismatch'] },
    ])
  })
})

describe('inbound events and permissions', () => {
  const all = [
    'websocket.connect',
    'control.start',
    'control.stop',
    'control.restart',
    'control.console',
  ]

  it.each([
    ['start', 'control.start'],
    ['stop', 'control.stop'],
    ['restart', 'control.restart'],
    ['kill', 'control.stop'],
  ])('set state %s needs %s', async (action, permission) => {
    const without = await authed(all.filter((p) => p !== permission))
    without.send('set state', action)
    await quiet()
    expect(h.actions.power).toEqual([])

    const withIt = await authed(['websocket.connect', permission])
    withIt.send('set state', action)
    await eventually(() => h.actions.power[0])
    expect(h.actions.power).toEqual([action])
  })

  it('send command needs control.console and a server that is not offline', async () => {
    const without = await authed(all.filter((p) => p !== 'control.console'))
    const withIt = await authed(['websocket.connect', 'control.console'])
    without.send('send command', 'say no')
    withIt.send('send command', 'say offline')
    await quiet()
    expect(h.actions.commands).toEqual([])

    h.server.setState('running')
    withIt.send('send command', 'say ', 'hi')
    await eventually(() => h.actions.commands[0])
    expect(h.actions.commands).toEqual(['say hi'])
  })

  it('reports a busy power lock with the reference text', async () => {
    const { PowerLockBusyError } = await import('@node/power')
    h.actions.powerError = new PowerLockBusyError()
    const client = await authed()
    client.send('set state', 'start')

    expect((await client.next('daemon error')).args![0]).toMatch(
      /another power action is currently being processed for this server, please try again later$/,
    )
  })

  it('shows the real error text only to admin.websocket.errors', async () => {
    h.actions.powerError = new Error('server is running')
    const user = await authed()
    const admin = await authed(['*', 'admin.websocket.errors'])
    user.send('set state', 'start')
    admin.send('set state', 'start')

    expect((await user.next('daemon error')).args![0]).toMatch(/an unexpected error was/)
    expect((await admin.next('daemon error')).args![0]).toMatch(/: server is running$/)
  })

  it('send logs replays the last websocket_log_count lines of a running server only', async () => {
    h.actions.log = ['one', 'two', 'three', 'four']
    const client = await authed()
    const from = client.frames.length
    client.send('send logs')
    await quiet()
    expect(client.frames.slice(from)).toEqual([])

    h.actions.running = true
    client.send('send logs')
    await client.until(() => (client.frames.length >= from + 3 ? true : undefined), 'logs')
    expect(client.frames.slice(from)).toEqual(
      ['two', 'three', 'four'].map((line) => ({ event: 'console output', args: [line] })),
    )
  })

  it("answers the browser's own frames, whose args are [null]", async () => {
    h.actions.running = true
    h.actions.log = ['one', 'two']
    const client = await authed()
    const from = client.frames.length

    client.sendAsBrowser('send logs')
    client.sendAsBrowser('send stats')

    await client.next('stats', from)
    await client.until(
      () =>
        client.frames.slice(from).filter((f) => f.event === 'console output').length >= 2
          ? true
          : undefined,
      'replayed lines',
    )
    expect(client.frames.slice(from).filter((f) => f.event === 'console output')).toEqual([
      { event: 'console output', args: ['one'] },
      { event: 'console output', args: ['two'] },
    ])
  })

  it('answers the browser frames of an expired token with jwt error', async () => {
    // No expiry ticker within the test: every jwt error is the answer to a frame.
    const own = await startHarness({ expiryCheckMs: 3_600_000 })
    try {
      const client = await Client.open(own.url())
      await client.authenticate(own.token())
      await client.next('stats')
      const from = client.frames.length
      own.clock.advance(700_000)

      client.sendAsBrowser('send logs')
      client.sendAsBrowser('send stats')

      await client.until(
        () => (client.frames.slice(from).length >= 2 ? true : undefined),
        'two answers',
      )
      expect(client.frames.slice(from)).toEqual([
        { event: 'jwt error', args: ['jwt: exp claim is invalid'] },
        { event: 'jwt error', args: ['jwt: exp claim is invalid'] },
      ])
      client.close()
    } finally {
      await own.close()
    }
  })

  it('ignores a frame whose args hold something other than strings and null', async () => {
    const client = await authed()
    const from = client.frames.length

    client.ws.send('{"event":"send stats","args":[1]}')
    client.ws.send('{"event":"send stats","args":[{}]}')
    await quiet()

    expect(client.frames.slice(from)).toEqual([])
  })

  it('ignores invalid JSON and unknown events, and keeps the socket', async () => {
    const client = await authed()
    client.ws.send('not json')
    client.send('no such event')
    client.send('send stats')

    expect((await client.next('stats', 3)).event).toBe('stats')
  })

  it('throttles a flood with one notice per streak', async () => {
    const client = await authed()
    for (let i = 0; i < 30; i++) client.send('send stats')

    await client.next('throttled')
    await quiet(300)
    // 10 pass the global bucket (burst 10), 4 of them the shared event bucket (burst 4).
    const throttled = client.frames.filter((f) => f.event === 'throttled')
    expect(throttled).toEqual([
      { event: 'throttled', args: ['send stats'] },
      { event: 'throttled', args: ['global'] },
    ])
    expect(client.frames.filter((f) => f.event === 'stats')).toHaveLength(1 + 4)
    expect(client.closed).toBeUndefined()
  })

  it('closes the socket on a message while the server is suspended', async () => {
    const client = await authed()
    h.server.forceSuspended(true)
    client.send('send stats')

    expect((await client.closedWith()).code).toBe(4409)
  })
})

describe('outbound events', () => {
  it('forwards console, status and stats (sorted keys) to every authenticated socket', async () => {
    const client = await authed()
    const pending = await connect()
    const from = client.frames.length
    h.server.setState('running')
    h.server.recordResourceSample({ ...ZERO_RESOURCE_SAMPLE, memoryBytes: 5 })
    h.server.events.publish('console output', '<b>&</b>')

    await client.next('console output', from)
    expect(client.frames.slice(from)).toEqual([
      { event: 'status', args: ['running'] },
      {
        event: 'stats',
        args: [
          '{"cpu_absolute":0,"disk_bytes":0,"memory_bytes":5,"memory_limit_bytes":0,"network":{"rx_bytes":0,"tx_bytes":0},"state":"running","uptime":0}',
        ],
      },
      { event: 'console output', args: ['<b>&</b>'] },
    ])
    expect(client.raw.at(-1)).toBe(
      '{"event":"console output","args":["\\u003cb\\u003e\\u0026\\u003c/b\\u003e"]}\n',
    )
    expect(pending.frames).toEqual([])
  })

  it.each([
    ['install output', 'admin.websocket.install'],
    ['transfer logs', 'admin.websocket.transfer'],
  ] as const)('sends %s only to tokens with %s', async (event, permission) => {
    const user = await authed(['*'])
    const admin = await authed(['*', permission])
    h.server.events.publish(event, 'line')
    h.server.events.publish('console output', 'after')

    await user.next('console output', 3)
    await admin.next(event)
    expect(user.frames.some((f) => f.event === event)).toBe(false)
  })

  it('sends backup completed with sorted keys only to backup.read', async () => {
    const reader = await authed(['websocket.connect', 'backup.read'])
    const other = await authed(['websocket.connect'])
    h.server.events.publish('backup completed', {
      uuid: 'b-1',
      isSuccessful: true,
      checksum: 'abc',
      checksumType: 'sha1',
      fileSize: 10,
    })
    h.server.events.publish('install started', undefined)

    expect(await reader.next('backup completed')).toEqual({
      event: 'backup completed',
      args: [
        '{"checksum":"abc","checksum_type":"sha1","file_size":10,"is_successful":true,"uuid":"b-1"}',
      ],
    })
    expect(await other.next('install started')).toEqual({ event: 'install started', args: [''] })
    expect(other.frames.some((f) => f.event === 'backup completed')).toBe(false)
  })

  it('turns every event into jwt error once the token expired, and warns before', async () => {
    const client = await authed()
    h.clock.advance(560_000)
    await client.next('token expiring')

    h.clock.advance(60_000)
    h.server.events.publish('console output', 'hidden')

    expect(await client.next('jwt error')).toEqual({
      event: 'jwt error',
      args: ['jwt: exp claim is invalid'],
    })
    expect(client.frames.some((f) => f.args?.[0] === 'hidden')).toBe(false)
  })

  it('closes every socket of the server on closeServer (suspension, deauthorize)', async () => {
    const a = await authed()
    const b = await connect()

    h.endpoint.closeServer(h.server, 4401, 'user deauthorized')

    expect(await a.closedWith()).toEqual({ code: 4401, reason: 'user deauthorized' })
    expect((await b.closedWith()).code).toBe(4401)
  })
})

describe('deny lists', () => {
  it('denies by token id: the socket stays and gets jwt error', async () => {
    const own = await startHarness()
    try {
      const client = await Client.open(own.url())
      await client.authenticate(own.token())
      own.denyList.denyJtis([
        own.sim.tokens.websocket({ server: own.server.uuid }).claims['jti'] as string,
      ])
      own.clock.advance(1000)
      own.server.events.publish('console output', 'hidden')

      expect((await client.next('jwt error')).args).toEqual([
        'jwt: created too far in past (denylist)',
      ])
      expect(client.closed).toBeUndefined()
      client.close()
    } finally {
      await own.close()
    }
  })
  it('denies by user on this server only: jwt error once the denial names it', async () => {
    const own = await startHarness()
    try {
      const issued = own.sim.tokens.websocket({ server: own.server.uuid, permissions: ['*'] })
      const user = issued.claims['user_uuid'] as string
      const client = await Client.open(own.url())
      await client.authenticate(issued.token)

      own.denyList.deauthorizeUser(user, [own.other.uuid])
      own.clock.advance(1000)
      own.server.events.publish('console output', 'another server was named')
      expect((await client.next('console output')).args).toEqual(['another server was named'])

      own.denyList.deauthorizeUser(user, [own.server.uuid])
      own.clock.advance(1000)
      own.server.events.publish('console output', 'hidden')
      expect((await client.next('jwt error')).args).toEqual([
        'jwt: created too far in past (denylist)',
      ])
      client.close()
    } finally {
      await own.close()
    }
  })
})

describe('fan-out', () => {
  /** Publishes `lines` in chunks, one chunk per turn of the event loop, as an attach stream does. */
  async function burst(harness: Harness, lines: readonly string[], chunk: number): Promise<void> {
    for (let i = 0; i < lines.length; i += chunk) {
      for (const line of lines.slice(i, i + chunk)) {
        harness.server.events.publish('console output', line)
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  async function sockets(harness: Harness, count: number): Promise<Client[]> {
    const token = harness.token()
    return Promise.all(
      Array.from({ length: count }, async () => {
        const client = await Client.open(harness.url())
        await client.authenticate(token)
        await client.next('stats')
        return client
      }),
    )
  }

  const received = (client: Client, from: number): string[] =>
    client.frames.slice(from).flatMap((f) => (f.event === 'console output' ? f.args! : []))

  it('delivers every line of a burst, in order, to 100 sockets while one is stalled', async () => {
    const harness = await startHarness({ perServer: 101 })
    try {
      const all = await sockets(harness, 101)
      const stalled = all[0]!
      const healthy = all.slice(1)
      stalled.ws.pause()
      const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(200)}`)
      const from = healthy.map((c) => c.frames.length)

      await burst(harness, lines, 50)
      await Promise.all(
        healthy.map((c, i) =>
          c.until(
            () => (received(c, from[i]!).length >= lines.length ? true : undefined),
            'burst',
            20_000,
          ),
        ),
      )

      for (const [i, c] of healthy.entries()) expect(received(c, from[i]!)).toEqual(lines)
      for (const c of all) c.close()
    } finally {
      await harness.close()
    }
  })

  it("drops the oldest lines of a stalled socket, never a healthy one's", async () => {
    const harness = await startHarness()
    try {
      const [healthy, stalled] = await sockets(harness, 2)
      stalled!.ws.pause()
      const fromHealthy = healthy!.frames.length
      const fromStalled = stalled!.frames.length
      const lines = Array.from({ length: 20_000 }, (_, i) => `${i} ${'y'.repeat(1000)}`)

      await burst(harness, lines, 100)
      await healthy!.until(
        () => (received(healthy!, fromHealthy).length >= lines.length ? true : undefined),
        'burst',
        20_000,
      )
      stalled!.ws.resume()
      await stalled!.until(
        () => (received(stalled!, fromStalled).at(-1) === lines.at(-1) ? true : undefined),
        'last line',
        20_000,
      )

      expect(received(healthy!, fromHealthy)).toEqual(lines)
      const got = received(stalled!, fromStalled).map((line) => Number(line.split(' ')[0]))
      expect(got.length).toBeLessThan(lines.length)
      expect(got.every((n, i) => i === 0 || n > got[i - 1]!)).toBe(true)
      healthy!.close()
      stalled!.close()
    } finally {
      await harness.close()
    }
  })

  it('refuses the 31st socket of a server', async () => {
    const harness = await startHarness()
    try {
      const sockets = await Promise.all(
        Array.from({ length: 30 }, () => Client.open(harness.url())),
      )
      await expect(Client.open(harness.url())).rejects.toThrow('HTTP 400')
      for (const s of sockets) s.close()
    } finally {
      await harness.close()
    }
  })
})
