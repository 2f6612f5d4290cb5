import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleFixture } from '@node/panel-sim'

import { Client, quiet } from '../websocket/websocket-harness.js'
import { startTestNode, type TestNode } from './support/test-node.js'

// Issue 4 end to end: a browser's view of the console through the real daemon process, with
// websocket tokens minted by panel-sim as the Panel 1.12 mints them, on the process environment.

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
let node: TestNode
let url: string
let origin: string

beforeAll(async () => {
  node = await startTestNode({ fixture: sampleFixture({ environment: 'process' }) })
  url = `ws://127.0.0.1:${new URL(node.daemon.url).port}/api/servers/${SERVER}/ws`
  origin = node.sim.nodeConfiguration().remote
  // Tokens issued in the daemon's boot second are refused (tokens.md: the boot-time deny rule).
  await new Promise((resolve) => setTimeout(resolve, 1100))
}, 60_000)

afterAll(async () => {
  await node?.[Symbol.asyncDispose]()
})

async function console_(permissions?: readonly string[]): Promise<Client> {
  const client = await Client.open(url, origin)
  const token = node.sim.tokens.websocket(
    permissions ? { server: SERVER, permissions } : { server: SERVER },
  ).token
  await client.authenticate(token)
  await client.next('status')
  return client
}

describe('console websocket through the daemon', () => {
  it('refuses a foreign origin and an unknown server before upgrading', async () => {
    await expect(Client.open(url, 'https://evil.example.com')).rejects.toThrow('HTTP 403')
    await expect(
      Client.open(url.replace(SERVER, SERVER.replace('d', 'e')), origin),
    ).rejects.toThrow('HTTP 404')
  })

  it("answers the browser's frames with jwt error once its token expired", async () => {
    // While the server is offline: no periodic stats, so every jwt error answers a frame.
    const client = await Client.open(url, origin)
    const expiresAt = Math.floor(Date.now() / 1000) + 1
    const token = node.sim.tokens.websocket(
      { server: SERVER },
      { tamper: { claims: { exp: expiresAt } } },
    ).token
    await client.authenticate(token)
    await client.next('status')
    // Valid while the current second is at most `exp`.
    await new Promise((resolve) => setTimeout(resolve, (expiresAt + 1) * 1000 - Date.now() + 50))
    const from = client.frames.length

    client.sendAsBrowser('send logs')
    client.sendAsBrowser('send stats')

    await client.until(() => (client.frames.length >= from + 2 ? true : undefined), 'answers')
    expect(client.frames.slice(from)).toEqual([
      { event: 'jwt error', args: ['jwt: exp claim is invalid'] },
      { event: 'jwt error', args: ['jwt: exp claim is invalid'] },
    ])
    client.close()
  })

  it("shows a token of another server nothing of this server's state, at auth or later", async () => {
    const base = node.sim.server(SERVER)
    const elsewhere = node.sim.addServer({
      id: 99,
      uuid: '6f1f2c1e-8f7a-4f5e-9c3b-2a1d0e9f8c7b',
      name: 'Elsewhere',
      node: base.nodeId,
      owner: base.ownerId,
      egg: base.eggId,
      allocations: [{ ip: '127.0.0.1', port: 25599 }],
    })
    const client = await Client.open(url, origin)

    client.send('auth', node.sim.tokens.websocket({ server: elsewhere.uuid }).token)
    await client.until(() => (client.frames.length >= 3 ? true : undefined), 'three frames')
    client.sendAsBrowser('send stats')
    await quiet(300)

    expect(client.frames).toEqual([
      { event: 'auth success' },
      ...Array.from({ length: 3 }, () => ({
        event: 'jwt error',
        args: ['jwt: server uuid mismatch'],
      })),
    ])
    client.close()
  })

  it('starts the server, streams its console and state, and takes commands', async () => {
    const client = await console_()

    client.send('set state', 'start')
    await client.next('console output')
    await client.until(
      () => client.frames.find((f) => f.event === 'status' && f.args?.[0] === 'running'),
      'running',
      20_000,
    )
    client.send('send command', 'hello there')
    await client.until(
      () => client.frames.find((f) => f.args?.[0] === '> hello there'),
      'echo',
      10_000,
    )

    const states = client.frames.filter((f) => f.event === 'status').map((f) => f.args![0])
    expect(states).toEqual(['offline', 'starting', 'running'])
    client.close()
  })

  it('replays the console and answers stats for the frames the browser sends', async () => {
    const client = await console_()
    const from = client.frames.length

    client.sendAsBrowser('send logs')
    client.sendAsBrowser('send stats')
    await client.next('stats', from)
    await client.until(
      () => client.frames.slice(from).find((f) => f.args?.[0] === '> hello there'),
      'replayed line',
    )

    const stats = JSON.parse(
      client.frames.slice(from).find((f) => f.event === 'stats')!.args![0]!,
    ) as { state: string }
    expect(stats.state).toBe('running')
    client.close()
  })

  it('ignores a command from a token without control.console', async () => {
    const client = await console_(['websocket.connect'])
    const from = client.frames.length

    client.send('send command', 'should not arrive')
    await quiet(300)

    const logs = await node.request('GET', `/api/servers/${SERVER}/logs`)
    expect(JSON.stringify(await logs.json())).not.toContain('should not arrive')
    expect(client.frames.slice(from).some((f) => f.event === 'daemon error')).toBe(false)
    client.close()
  })

  it('closes the sockets of a deauthorized user and refuses their old token', async () => {
    const token = node.sim.tokens.websocket({ server: SERVER }).token
    const client = await Client.open(url, origin)
    await client.authenticate(token)
    const user = node.sim.users()[0]!.uuid

    const res = await node.request('POST', '/api/deauthorize-user', {
      body: JSON.stringify({ user, servers: [SERVER] }),
    })
    expect(res.status).toBe(204)
    expect((await client.closedWith()).code).toBe(4401)

    const again = await Client.open(url, origin)
    again.send('auth', token)
    expect((await again.next('jwt error')).args![0]).toMatch(
      /jwt: created too far in past \(denylist\)$/,
    )
    again.close()
  })

  it('closes the sockets of a server the Panel suspends', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)) // tokens after the denial's second
    const client = await console_()

    await node.sim.suspendServer(SERVER)

    expect(await client.closedWith()).toEqual({ code: 4409, reason: 'server is suspended' })
    await node.sim.unsuspendServer(SERVER)
  })

  it('stops the server and tells every socket it was deleted', async () => {
    const client = await console_()
    client.send('set state', 'stop')
    await client.until(
      () => client.frames.find((f) => f.event === 'status' && f.args?.[0] === 'offline'),
      'offline',
      20_000,
    )

    const res = await node.request('DELETE', `/api/servers/${SERVER}`)
    expect(res.status).toBe(204)

    expect(await client.next('deleted')).toEqual({ event: 'deleted', args: ['null'] })
    expect(await client.closedWith()).toEqual({ code: 1001, reason: 'server deleted' })
  })
})
