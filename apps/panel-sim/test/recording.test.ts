import { afterEach, describe, expect, it } from 'vitest'

import { makeServers, sampleFixture, startPanelSim, type PanelSim } from '@node/panel-sim'

import { wings } from './support/wings.js'

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'

let sim: PanelSim | undefined

afterEach(async () => {
  await sim?.close()
  sim = undefined
})

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sim!.url}/__sim${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) }
}

describe('recorded calls', () => {
  it('records method, path, query, headers and the parsed body (null for a bodyless POST)', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })

    await wings(sim, 'POST', '/servers/reset', null)
    await wings(sim, 'GET', '/servers?page=0&per_page=2')

    const [reset, list] = sim.calls
    expect(reset).toMatchObject({
      id: 1,
      method: 'POST',
      path: '/api/remote/servers/reset',
      body: null,
      rawBody: 'null',
      status: 204,
      nodeId: 1,
      injected: false,
    })
    expect(list).toMatchObject({
      method: 'GET',
      query: { page: '0', per_page: '2' },
      body: undefined,
      status: 200,
    })
    expect(list!.headers['accept']).toBe('application/vnd.pterodactyl.v1+json')
    expect(list!.time).toBeInstanceOf(Date)
    expect(sim.callsTo('/api/remote/servers/*', 'post')).toHaveLength(1)
    expect(sim.callsTo('/api/remote/**')).toHaveLength(2)
  })

  it('resolves waitForCall when a matching call is answered later, and rejects on timeout', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })

    const waiting = sim.waitForCall(
      (c) => c.path.endsWith('/install') && c.method === 'POST',
      5_000,
    )
    await wings(sim, 'POST', `/servers/${SERVER}/install`, { successful: true, reinstall: false })
    const call = await waiting
    const timeout = await sim
      .waitForCall((c) => c.path === '/never', 50)
      .catch((err: unknown) => err)

    expect(call.body).toEqual({ successful: true, reinstall: false })
    expect(call.status).toBe(204)
    expect(sim.server(SERVER).installedAt).not.toBeNull()
    expect(timeout).toBeInstanceOf(Error)
    expect((timeout as Error).message).toContain(`POST /api/remote/servers/${SERVER}/install → 204`)
  })

  it('lists calls over the admin API and clears them', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })
    await wings(sim, 'GET', `/servers/${SERVER}`)
    await wings(sim, 'GET', `/servers/${SERVER}/install`)

    const filtered = await admin(
      'GET',
      `/calls?path=${encodeURIComponent('/api/remote/servers/*/install')}`,
    )
    const cleared = await admin('DELETE', '/calls')

    expect((filtered.json as { data: { path: string }[] }).data.map((c) => c.path)).toEqual([
      `/api/remote/servers/${SERVER}/install`,
    ])
    expect(cleared.status).toBe(204)
    expect(sim.calls).toEqual([])
  })
})

describe('failure injection', () => {
  it('fails the next K matching calls with status N, then serves normally', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })
    sim.failNext({ path: '/api/remote/servers/*', status: 502, times: 2 })

    const statuses = [
      (await wings(sim, 'GET', `/servers/${SERVER}`)).status,
      (await wings(sim, 'GET', '/servers')).status,
      (await wings(sim, 'GET', `/servers/${SERVER}`)).status,
      (await wings(sim, 'GET', `/servers/${SERVER}`)).status,
    ]

    expect(statuses).toEqual([502, 200, 502, 200])
    expect(sim.calls.map((c) => c.injected)).toEqual([true, false, true, false])
  })

  it('drops the connection when asked, and is set up over the admin API too', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })
    const queued = await admin('POST', '/failures', {
      pattern: '^/api/remote/activity$',
      drop: true,
    })

    const dropped = await wings(sim, 'POST', '/activity', { data: [] }).catch((err: unknown) => err)
    const bad = await admin('POST', '/failures', { status: 700, path: '/x' })

    expect(queued.status).toBe(204)
    expect(dropped).toBeInstanceOf(Error)
    expect(sim.calls[0]).toMatchObject({ injected: true, status: 0 })
    expect(bad.status).toBe(422)
  })

  it('only slows a call down with thenAnswer, which its route then answers', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })
    sim.failNext({ path: `/api/remote/servers/${SERVER}`, delayMs: 200, thenAnswer: true })

    const res = await wings(sim, 'GET', `/servers/${SERVER}`)

    expect(res.status).toBe(200)
    expect(res.json).toEqual(sim.serverConfiguration(SERVER))
    expect(sim.calls[0]).toMatchObject({ injected: true, status: 200 })
  })

  it('uses a given body and only the given method', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })
    sim.failNext({
      path: '/api/remote/servers/reset',
      method: 'POST',
      status: 503,
      body: { errors: [{ code: 'X', status: '503', detail: 'down' }] },
    })

    const res = await wings(sim, 'POST', '/servers/reset', null)

    expect(res.status).toBe(503)
    expect(res.json).toEqual({ errors: [{ code: 'X', status: '503', detail: 'down' }] })
  })
})

describe('admin API', () => {
  it('adds, updates and deletes servers', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })

    const added = await admin('POST', '/servers', { name: 'Second', memory: 128 })
    const uuid = (added.json as { uuid: string }).uuid
    const patched = await admin('PATCH', `/servers/${uuid}`, { suspended: true, memory: 256 })
    const config = await wings(sim, 'GET', `/servers/${uuid}`)
    const removed = await admin('DELETE', `/servers/${uuid}`)
    const gone = await wings(sim, 'GET', `/servers/${uuid}`)
    const bad = await admin('PATCH', `/servers/${SERVER}`, { memory: -5 })

    expect(added.status).toBe(201)
    expect(patched.json).toMatchObject({ status: 'suspended', memory: 256 })
    expect(
      (config.json as { settings: { suspended: boolean; build: { memory_limit: number } } })
        .settings,
    ).toMatchObject({
      suspended: true,
      build: { memory_limit: 256 },
    })
    expect(removed.status).toBe(204)
    expect(gone.status).toBe(404)
    expect(bad).toEqual({
      status: 422,
      json: { error: expect.stringContaining('patch.memory must be an integer') as unknown },
    })
    expect(sim.server(SERVER).memory).toBe(256)
  })

  it('generates many servers', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })

    const res = await admin('POST', '/make-servers', { count: 120, template: { memory: 64 } })

    expect(res.status).toBe(201)
    expect(sim.servers()).toHaveLength(121)
    expect(new Set(sim.allocations().map((a) => a.port)).size).toBe(121)
    expect(makeServers(3).map((s) => s.name)).toEqual(['Server 1', 'Server 2', 'Server 3'])
  })

  it('shows the whole state', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })

    const res = await admin('GET', '/state')

    expect(Object.keys(res.json as object)).toEqual([
      'app_url',
      'backup_driver',
      'nodes',
      'users',
      'eggs',
      'servers',
      'allocations',
      'backups',
      'transfers',
      'activity',
    ])
  })
})
