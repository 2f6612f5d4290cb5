import { access, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { parse } from 'yaml'
import { makeServers, sampleFixture } from '@node/panel-sim'

import { startTestNode, type TestNode } from './support/test-node.js'

// Issue 2's end-to-end contract: the real daemon process booted from the Panel's config.yml
// against panel-sim with 120 servers over several pages, driven over real HTTP.

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const GENERIC = 'An unexpected error was encountered while processing this request'

let node: TestNode
const extra = makeServers(120)

beforeAll(async () => {
  node = await startTestNode({
    fixture: {
      ...sampleFixture({ environment: 'process' }),
      servers: [...sampleFixture().servers!, ...extra],
    },
    perPage: 25,
  })
}, 60_000)

afterAll(async () => {
  await node?.[Symbol.asyncDispose]()
})

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}

describe('boot', () => {
  it('loads every server of the node, page by page, and lists them in load order', async () => {
    const pages = node.sim.callsTo('/api/remote/servers', 'GET')
    // The reference asks for page 0 first (the Panel reads it as page 1), then 2..last_page.
    expect(pages.map((call) => call.query['page'])).toEqual(['0', '2', '3', '4', '5'])
    expect(pages).toHaveLength(Math.ceil(121 / 25))
    expect(pages.every((call) => call.query['per_page'] === '25')).toBe(true)

    const res = await node.request('GET', '/api/servers')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    const body = (await res.json()) as { configuration: { uuid: string } }[]
    expect(body.map((s) => s.configuration.uuid)).toEqual(node.sim.servers().map((s) => s.uuid))
    expect(body).toHaveLength(121)
  })

  it('tells the Panel to reset stale server states once the API listens', async () => {
    await node.sim.waitForCall(
      (call) => call.path === '/api/remote/servers/reset' && call.method === 'POST',
    )
  })

  it('makes a data directory for every server', async () => {
    // Owned by the system user (system.username, created at boot when missing).
    const passwd = await readFile('/etc/passwd', 'utf8')
    const [, , uid] = passwd
      .split('\n')
      .find((line) => line.startsWith('pterodactyl:'))!
      .split(':')
    for (const server of [extra[0]!, extra[119]!]) {
      const info = await stat(path.join(node.dataDirectory, server.uuid!))
      expect(info.isDirectory()).toBe(true)
      expect(info.uid).toBe(Number(uid))
    }
  })
})

describe('GET /api/servers/:server', () => {
  it('answers the §6.1 shape with the keys in the reference order', async () => {
    const uuid = extra[7]!.uuid!
    const res = await node.request('GET', `/api/servers/${uuid}`)
    expect(res.status).toBe(200)
    const text = await res.text()
    const body = JSON.parse(text) as Record<string, Record<string, unknown>>
    expect(Object.keys(body)).toEqual(['state', 'is_suspended', 'utilization', 'configuration'])
    expect(text).toContain(
      '"utilization":{"memory_bytes":0,"memory_limit_bytes":0,"cpu_absolute":0,"network":{"rx_bytes":0,"tx_bytes":0},"uptime":0,"state":"offline","disk_bytes":',
    )
    expect(body['configuration']!['uuid']).toBe(uuid)
    expect((body['configuration']!['meta'] as { name: string }).name).toBe('Server 8')
  })
})

describe('disk usage', () => {
  it('shows the bytes in the server directory, walked off the request path', async () => {
    const uuid = extra[20]!.uuid!
    await writeFile(path.join(node.dataDirectory, uuid, 'world.dat'), Buffer.alloc(300_000, 1))
    await vi.waitFor(
      async () => {
        const res = await node.request('GET', `/api/servers/${uuid}`)
        const body = (await res.json()) as { utilization: { disk_bytes: number } }
        expect(body.utilization.disk_bytes).toBeGreaterThanOrEqual(300_000)
      },
      { timeout: 10_000, interval: 100 },
    )
  })
})

describe('POST /api/servers/:server/sync', () => {
  it('re-reads the configuration after the Panel changed it', async () => {
    const uuid = extra[3]!.uuid!
    const before = (await (await node.request('GET', `/api/servers/${uuid}`)).json()) as {
      configuration: { build: { memory_limit: number } }
    }
    const memory = before.configuration.build.memory_limit + 512
    node.sim.updateServer(uuid, { memory })

    const res = await node.request('POST', `/api/servers/${uuid}/sync`)
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    const after = (await (
      await node.request('GET', `/api/servers/${uuid}`)
    ).json()) as typeof before
    expect(after.configuration.build.memory_limit).toBe(memory)
  })

  it('answers the generic 500 with a request id when the Panel fails', async () => {
    const uuid = extra[4]!.uuid!
    node.sim.failNext({ path: `/api/remote/servers/${uuid}`, status: 404, times: 1 })
    const res = await node.request('POST', `/api/servers/${uuid}/sync`)
    expect(res.status).toBe(500)
    const id = res.headers.get('x-request-id')
    expect(await res.text()).toBe(`{"error":"${GENERIC}","request_id":"${id}"}`)
  })
})

describe('POST /api/servers', () => {
  it('fetches a new server from the Panel, adds it and makes its directory', async () => {
    const [fixture] = makeServers(1, { namePrefix: 'Created' })
    node.sim.addServer(fixture!)
    const res = await node.request('POST', '/api/servers', {
      body: JSON.stringify({ uuid: fixture!.uuid, start_on_completion: false }),
    })
    expect(res.status).toBe(202)
    expect(await res.text()).toBe('')
    const details = await node.request('GET', `/api/servers/${fixture!.uuid}`)
    expect(details.status).toBe(200)
    expect(await exists(path.join(node.dataDirectory, fixture!.uuid!))).toBe(true)
  })

  it('refuses a uuid that is not a lower-case v4 UUID with 422', async () => {
    const res = await node.request('POST', '/api/servers', {
      body: JSON.stringify({ uuid: 'D3AAC109-E5E0-4331-B03E-3454F7E136DC' }),
    })
    expect(res.status).toBe(422)
    expect(await res.text()).toBe(
      '{"error":"The data provided in the request could not be validated."}',
    )
  })
})

describe('DELETE /api/servers/:server', () => {
  it('removes the server and its files; it is then unknown', async () => {
    const uuid = extra[10]!.uuid!
    const dir = path.join(node.dataDirectory, uuid)
    expect(await exists(dir)).toBe(true)
    // The Panel drops its row first, then tells the daemon (panel-contract: server deletion).
    node.sim.removeServer(uuid)
    const res = await node.request('DELETE', `/api/servers/${uuid}`)
    expect(res.status).toBe(204)
    expect((await node.request('GET', `/api/servers/${uuid}`)).status).toBe(404)
    await vi.waitFor(async () => expect(await exists(dir)).toBe(false), { timeout: 5_000 })
    const list = (await (await node.request('GET', '/api/servers')).json()) as unknown[]
    expect(list).toHaveLength(121)
  })
})

describe('POST /api/update', () => {
  it('applies the Panel configuration, persists it, and a rotated token works at once', async () => {
    const generated = node.sim.nodeConfiguration()
    const rotated = `${node.token.slice(0, -4)}beef`
    const body = {
      ...generated,
      app_name: 'E2E Node',
      token: rotated,
      allowed_mounts: ['/srv/not-bindable'],
      api: { ...generated.api, host: '127.0.0.1', port: Number(new URL(node.daemon.url).port) },
      system: { ...generated.system, data: node.dataDirectory },
    }
    const res = await node.request('POST', '/api/update', { body: JSON.stringify(body) })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('{"applied":true}')
    const written = await readFile(node.configPath, 'utf8')
    expect(written).toContain('app_name: E2E Node')
    // http-api §5.2: allowed_mounts does not bind.
    expect(written).not.toContain('/srv/not-bindable')
    expect((await node.request('GET', '/api/system')).status).toBe(403)
    expect((await node.request('GET', '/api/system', { token: rotated })).status).toBe(200)

    const back = await node.request('POST', '/api/update', {
      token: rotated,
      body: JSON.stringify({ ...body, token: node.token }),
    })
    expect(back.status).toBe(200)
    expect((await node.request('GET', '/api/system')).status).toBe(200)
  })
})

describe('POST /api/update from a hostile Panel', () => {
  it('never moves the data or the Panel address, and says which keys it ignored', async () => {
    const generated = node.sim.nodeConfiguration()
    const before = parse(await readFile(node.configPath, 'utf8')) as {
      remote: string
      system: Record<string, unknown>
    }
    const body = {
      ...generated,
      remote: 'http://attacker.example.com',
      api: { ...generated.api, host: '127.0.0.1', port: Number(new URL(node.daemon.url).port) },
      system: { ...generated.system, data: '/elsewhere', RootDirectory: '/elsewhere/lib' },
    }

    const res = await node.request('POST', '/api/update', { body: JSON.stringify(body) })

    expect(res.status).toBe(200)
    expect(await res.text()).toBe('{"applied":true}')
    const written = parse(await readFile(node.configPath, 'utf8')) as typeof before
    expect(written.remote).toBe(before.remote)
    expect(written.system['data']).toBe(before.system['data'])
    expect(written.system['root_directory']).toBe(before.system['root_directory'])
    const warning = node.daemon
      .output()
      .split('\n')
      .find((line) => line.includes('may not change through the API'))
    expect(warning).toMatch(/system\.root_directory.*system\.data.*remote/)
    expect((await node.request('GET', '/api/system')).status).toBe(200)
  })
})

describe('error envelopes, byte for byte (http-api §2, §3)', () => {
  const uuid = () => extra[0]!.uuid!

  it('missing token: 401 with WWW-Authenticate', async () => {
    const res = await node.request('GET', '/api/servers', { token: null })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(res.headers.get('x-request-id')).toMatch(UUID_V4)
    expect(await res.text()).toBe(
      '{"error":"The required authorization heads were not present in the request."}',
    )
  })

  it('wrong scheme: 401', async () => {
    const res = await node.request('GET', '/api/servers', {
      token: null,
      headers: { Authorization: `bearer ${node.token}` },
    })
    expect(res.status).toBe(401)
  })

  it('wrong token: 403', async () => {
    const res = await node.request('GET', '/api/servers', { token: `${node.token}x` })
    expect(res.status).toBe(403)
    expect(await res.text()).toBe('{"error":"You are not authorized to access this endpoint."}')
  })

  it('unknown server: 404 without a request id', async () => {
    const res = await node.request('GET', '/api/servers/7a1f1f0e-5b0a-4d9e-9c4e-2f8a1b7c9d00')
    expect(res.status).toBe(404)
    expect(await res.text()).toBe(
      '{"error":"The requested resource does not exist on this instance."}',
    )
  })

  it('unknown route with a valid token: plain-text 404', async () => {
    const res = await node.request('GET', '/api/nowhere')
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('404 page not found')
  })

  it('empty JSON body: 400 not parsable', async () => {
    const res = await node.request('POST', '/api/servers', { body: '' })
    expect(res.status).toBe(400)
    expect(await res.text()).toBe(
      '{"error":"The data passed in the request was not in a parsable format. Please try again."}',
    )
  })

  it('malformed JSON: 400 generic with the request id', async () => {
    const res = await node.request('POST', '/api/servers', { body: '{"uuid":' })
    expect(res.status).toBe(400)
    const id = res.headers.get('x-request-id')
    expect(id).toMatch(UUID_V4)
    expect(await res.text()).toBe(`{"error":"${GENERIC}","request_id":"${id}"}`)
  })

  it.each([
    ['a number for uuid', '/api/servers', { uuid: 5 }],
    [
      'a string for start_on_completion',
      '/api/servers',
      { uuid: 'd3aac109-e5e0-4331-b03e-3454f7e136dc', start_on_completion: 'yes' },
    ],
    ['an array body', '/api/servers', [1, 2]],
    ['a number for user', '/api/deauthorize-user', { user: 1 }],
    ['a string for servers', '/api/deauthorize-user', { user: 'u', servers: 'all' }],
    ['a string for jtis', `/api/servers/{uuid}/ws/deny`, { jtis: 'abc' }],
  ])('wrong field types (%s): 400 generic with the request id', async (_name, route, body) => {
    const res = await node.request('POST', route.replace('{uuid}', uuid()), {
      body: JSON.stringify(body),
    })
    expect(res.status).toBe(400)
    const id = res.headers.get('x-request-id')
    expect(await res.text()).toBe(`{"error":"${GENERIC}","request_id":"${id}"}`)
  })

  it('the process keeps serving after every bad request', async () => {
    expect((await node.request('GET', '/api/system')).status).toBe(200)
  })
})

describe('deny lists', () => {
  it('accepts ws/deny and deauthorize-user from the Panel', async () => {
    const deny = await node.sim
      .daemon()
      .denyJtis(extra[1]!.uuid!, ['0123456789abcdef0123456789abcdef'])
    expect(deny.status).toBe(204)
    const deauth = await node.sim
      .daemon()
      .deauthorizeUser('5d1b6f4e-7c0a-4f0e-9b1a-3c2d4e5f6a7b', [extra[1]!.uuid!])
    expect(deauth.status).toBe(204)
  })
})

describe('restart', () => {
  it('comes back with the same servers and writes the states file', async () => {
    await node.restart('stop')
    const list = (await (await node.request('GET', '/api/servers')).json()) as unknown[]
    expect(list).toHaveLength(121)
    const lib = path.join(path.dirname(node.configPath), 'lib', 'states.json')
    const states = JSON.parse(await readFile(lib, 'utf8')) as Record<string, string>
    expect(Object.keys(states)).toHaveLength(121)
  })
})
