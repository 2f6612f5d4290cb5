import { afterEach, describe, expect, it } from 'vitest'

import { makeServers, sampleFixture, startPanelSim, type PanelSim } from '@node/panel-sim'

const TOKEN_ID = 'Q0mVwY8pXb3Kc7Rt'
const TOKEN = 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2'
const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'

/** The headers Wings sends (panel-remote-calls.md 1). */
const WINGS = {
  Authorization: `Bearer ${TOKEN_ID}.${TOKEN}`,
  Accept: 'application/vnd.pterodactyl.v1+json',
  'Content-Type': 'application/json',
  'User-Agent': `Pterodactyl Wings/v1.11.13 (id:${TOKEN_ID})`,
}

let sim: PanelSim | undefined

afterEach(async () => {
  await sim?.close()
  sim = undefined
})

async function get(path: string, headers: Record<string, string> = WINGS) {
  const res = await fetch(`${sim!.url}${path}`, { headers })
  const text = await res.text()
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: text === '' ? undefined : (JSON.parse(text) as unknown),
  }
}

async function post(path: string, body: unknown, headers: Record<string, string> = WINGS) {
  const res = await fetch(`${sim!.url}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: text === '' ? undefined : (JSON.parse(text) as unknown),
  }
}

describe('remote API authentication', () => {
  it('answers 401 with WWW-Authenticate when the Authorization header is missing', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })

    const res = await get('/api/remote/servers', { Accept: 'application/json' })

    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(res.json).toEqual({
      errors: [
        {
          code: 'HttpException',
          status: '401',
          detail: 'Access to this endpoint must include an Authorization header.',
        },
      ],
    })
  })

  it.each([
    ['a token without the id', `Bearer ${TOKEN}`],
    ['three parts', `Bearer ${TOKEN_ID}.${TOKEN}.x`],
    ['an empty id', `Bearer .${TOKEN}`],
    ['a "0" token, empty for PHP', `Bearer ${TOKEN_ID}.0`],
  ])('answers 400 for %s', async (_, authorization) => {
    sim = await startPanelSim({ fixture: sampleFixture() })

    const res = await get('/api/remote/servers', { Authorization: authorization })

    expect(res.status).toBe(400)
    expect(res.json).toEqual({
      errors: [
        {
          code: 'BadRequestHttpException',
          status: '400',
          detail: 'The Authorization header provided was not in a valid format.',
        },
      ],
    })
  })

  it.each([
    ['an unknown token id', `Bearer AAAAAAAAAAAAAAAA.${TOKEN}`],
    ['a wrong token', `Bearer ${TOKEN_ID}.${TOKEN.slice(0, -1)}x`],
  ])('answers 403 for %s', async (_, authorization) => {
    sim = await startPanelSim({ fixture: sampleFixture() })

    const res = await get(`/api/remote/servers/${SERVER}`, { Authorization: authorization })

    expect(res.status).toBe(403)
    expect(res.json).toEqual({
      errors: [
        {
          code: 'AccessDeniedHttpException',
          status: '403',
          detail: 'You are not authorized to access this resource.',
        },
      ],
    })
  })
})

describe('server list (R1)', () => {
  it('treats page=0 as page 1 and wraps 120 servers in the Laravel envelope', async () => {
    sim = await startPanelSim({ fixture: { ...sampleFixture(), servers: makeServers(120) } })

    const res = await get('/api/remote/servers?page=0&per_page=50')

    const body = res.json as {
      data: { uuid: string }[]
      links: unknown
      meta: Record<string, unknown>
    }
    expect(res.status).toBe(200)
    expect(body.data).toHaveLength(50)
    expect(body.data[0]!.uuid).toBe(sim.servers()[0]!.uuid)
    const path = `${sim.url}/api/remote/servers`
    expect(body.links).toEqual({
      first: `${path}?page=1`,
      last: `${path}?page=3`,
      prev: null,
      next: `${path}?page=2`,
    })
    expect(body.meta).toEqual({
      current_page: 1,
      from: 1,
      last_page: 3,
      links: [
        { url: null, label: '&laquo; Previous', active: false },
        { url: `${path}?page=1`, label: '1', active: true },
        { url: `${path}?page=2`, label: '2', active: false },
        { url: `${path}?page=3`, label: '3', active: false },
        { url: `${path}?page=2`, label: 'Next &raquo;', active: false },
      ],
      path,
      per_page: 50,
      to: 50,
      total: 120,
    })
    expect(res.text).toContain('http:\\/\\/127.0.0.1')
  })

  it('serves the last page and an empty page past the end', async () => {
    sim = await startPanelSim({ fixture: { servers: makeServers(120) } })
    const node = sim.node()
    const headers = { Authorization: `Bearer ${node.daemonTokenId}.${node.daemonToken}` }

    const last = (await get('/api/remote/servers?page=3&per_page=50', headers)).json as {
      data: unknown[]
      meta: { from: number; to: number; current_page: number }
    }
    const past = (await get('/api/remote/servers?page=9&per_page=50', headers)).json as {
      data: unknown[]
      meta: { from: number | null; to: number | null; current_page: number }
    }

    expect(last.data).toHaveLength(20)
    expect(last.meta).toMatchObject({ current_page: 3, from: 101, to: 120 })
    expect(past.data).toEqual([])
    expect(past.meta).toMatchObject({ current_page: 9, from: null, to: null })
  })

  it('lists only the calling node’s servers, with per_page 0 falling back to 15', async () => {
    sim = await startPanelSim({
      fixture: {
        nodes: [
          { tokenId: 'node1', token: 'secret1' },
          { tokenId: 'node2', token: 'secret2' },
        ],
        servers: [...makeServers(20, { node: 1 }), ...makeServers(3, { node: 2 })],
      },
    })

    const res = await get('/api/remote/servers?per_page=0', {
      Authorization: 'Bearer node2.secret2',
    })

    const body = res.json as { data: { uuid: string }[]; meta: { per_page: number; total: number } }
    expect(body.meta).toMatchObject({ per_page: 15, total: 3 })
    expect(body.data.map((s) => s.uuid)).toEqual(
      sim
        .servers()
        .filter((s) => s.nodeId === 2)
        .map((s) => s.uuid),
    )
  })
})

describe('server configuration (R3)', () => {
  it('finds a server by its short id and records the call', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })

    const res = await get('/api/remote/servers/d3aac109')

    expect(res.status).toBe(200)
    expect(Object.keys(res.json as object)).toEqual(['settings', 'process_configuration'])
    const call = sim.callsTo('/api/remote/servers/*')[0]!
    expect(call).toMatchObject({
      method: 'GET',
      path: '/api/remote/servers/d3aac109',
      status: 200,
      nodeId: 1,
    })
    expect(call.headers['user-agent']).toBe(`Pterodactyl Wings/v1.11.13 (id:${TOKEN_ID})`)
  })

  it('answers 404 with an empty detail for an unknown server', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })

    const res = await get('/api/remote/servers/00000000-0000-4000-8000-000000000000')

    expect(res.status).toBe(404)
    expect(res.json).toEqual({
      errors: [{ code: 'RecordNotFoundException', status: '404', detail: '' }],
    })
  })
})

describe('install (R4, R5)', () => {
  it('returns the install script with its CRLF line endings', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })

    const res = await get(`/api/remote/servers/${SERVER}/install`)

    expect(res.status).toBe(200)
    const body = res.json as { container_image: string; entrypoint: string; script: string }
    expect(Object.keys(body)).toEqual(['container_image', 'entrypoint', 'script'])
    expect(body.container_image).toBe('~node-daemon-sample/busybox:latest')
    expect(body.entrypoint).toBe('ash')
    expect(body.script.startsWith('#!/bin/ash\r\n')).toBe(true)
    expect(res.text).toContain('#!\\/bin\\/ash\\r\\n')
  })
})

describe('install status (R5)', () => {
  it('marks a failed reinstall and keeps a suspended server suspended', async () => {
    sim = await startPanelSim({
      fixture: {
        ...sampleFixture(),
        servers: [
          ...sampleFixture().servers!,
          { uuid: '11111111-1111-4111-8111-111111111111', suspended: true },
        ],
      },
    })

    const failed = await post(`/api/remote/servers/${SERVER}/install`, {
      successful: false,
      reinstall: true,
    })
    const suspended = await post('/api/remote/servers/11111111/install', {
      successful: true,
      reinstall: false,
    })

    expect(failed.status).toBe(204)
    expect(failed.text).toBe('')
    expect(suspended.status).toBe(204)
    expect(sim.server(SERVER).status).toBe('reinstall_failed')
    expect(sim.server('11111111').status).toBe('suspended')
  })

  it('answers 422 with the field and rule when successful is missing', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })

    const res = await post(`/api/remote/servers/${SERVER}/install`, { reinstall: 'yes' })

    expect(res.status).toBe(422)
    expect(res.json).toEqual({
      errors: [
        {
          code: 'ValidationException',
          status: '422',
          detail: 'The successful field must be present.',
          meta: { source_field: 'successful', rule: 'present' },
        },
        {
          code: 'ValidationException',
          status: '422',
          detail: 'The reinstall field must be true or false.',
          meta: { source_field: 'reinstall', rule: 'boolean' },
        },
      ],
    })
  })
})

describe('routing', () => {
  it('answers 404 before authentication for unknown routes and malformed ids', async () => {
    sim = await startPanelSim({ fixture: sampleFixture() })

    const unknown = await get('/api/remote/servers/d3aac109/archive', {})
    const malformed = await get('/api/remote/servers/%E0%A4%A')

    expect(unknown.status).toBe(404)
    expect(unknown.json).toEqual({
      errors: [
        {
          code: 'NotFoundHttpException',
          status: '404',
          detail: 'The requested resource could not be found on the server.',
        },
      ],
    })
    expect(malformed.status).toBe(404)
    expect(sim.callsTo('/api/remote/**').map((c) => c.status)).toEqual([404, 404])
  })
})
