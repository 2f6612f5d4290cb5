import { randomBytes, randomUUID } from 'node:crypto'

import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleFixture } from '@node/panel-sim'

import { Client } from '../websocket/websocket-harness.js'
import { parseScrape, type Scrape } from './support/prometheus-scrape.js'
import { freePort, startTestNode, type TestNode } from './support/test-node.js'

// Issue 16 item 3: /metrics of the real daemon process, on its own listener behind its own
// token, scraped while a server runs in Docker and parsed as Prometheus parses the text format.

const docker = new Docker()
const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const METRICS_TOKEN = randomBytes(16).toString('hex')
let node: TestNode
let metricsUrl: string

beforeAll(async () => {
  const fixture = sampleFixture({ environment: 'docker' })
  const [gamePort, metricsPort] = [await freePort(), await freePort()]
  node = await startTestNode({
    environment: 'docker',
    fixture: {
      ...fixture,
      servers: [{ ...fixture.servers![0]!, allocations: [{ ip: '127.0.0.1', port: gamePort }] }],
    },
    config: {
      metrics: { enabled: true, host: '127.0.0.1', port: metricsPort, token: METRICS_TOKEN },
    },
  })
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`
  await node.request('POST', `/api/servers/${SERVER}/install`)
  await node.sim.waitForCall(
    (call) => call.path === `/api/remote/servers/${SERVER}/install` && call.method === 'POST',
    60_000,
  )
}, 120_000)

afterAll(async () => {
  await docker
    .getContainer(SERVER)
    .remove({ force: true })
    .catch(() => undefined)
  await node?.[Symbol.asyncDispose]()
}, 60_000)

/** A scrape, parsed (a line the text format does not allow rejects). */
async function scrape(): Promise<Scrape> {
  const res = await fetch(metricsUrl, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return parseScrape(await res.text())
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const found = await probe()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

const server = { server: SERVER }
const stateIs = async (state: string) =>
  (await scrape()).value('wings_server_state', { ...server, state }) === 1 ? true : undefined

describe('/metrics', () => {
  it("shows a running server's figures moving between two scrapes", async () => {
    await node.request('POST', `/api/servers/${SERVER}/power`, {
      body: JSON.stringify({ action: 'start' }),
    })
    await until('running', () => stateIs('running'))
    const first = await until('a stats sample', async () => {
      const families = await scrape()
      return families.value('wings_server_uptime_seconds', server) > 0 ? families : undefined
    })

    const second = await until('the uptime to move', async () => {
      const families = await scrape()
      const moved =
        families.value('wings_server_uptime_seconds', server) >
        first.value('wings_server_uptime_seconds', server)
      return moved ? families : undefined
    })

    expect(second.value('wings_server_state', { ...server, state: 'offline' })).toBe(0)
    expect(second.value('wings_server_memory_bytes', server)).toBeGreaterThan(0)
    expect(second.value('wings_server_memory_limit_bytes', server)).toBeGreaterThan(0)
    expect(second.value('wings_server_cpu_absolute_percent', server)).toBeGreaterThanOrEqual(0)
    expect(second.family('wings_server_network_receive_bytes_total').type).toBe('counter')
    expect(second.family('wings_server_disk_bytes').type).toBe('gauge')
  })

  it('counts a crash and the restart after it', async () => {
    const before = await scrape()
    await docker.getContainer(SERVER).kill()

    const after = await until('the crash restart', async () => {
      const families = await scrape()
      return families.value('wings_server_restarts_total', server) >
        before.value('wings_server_restarts_total', server)
        ? families
        : undefined
    })

    expect(after.value('wings_server_crashes_total', server)).toBe(
      before.value('wings_server_crashes_total', server) + 1,
    )
    await until('running again', () => stateIs('running'))
  })

  it('counts API requests by route pattern, every unknown URL under one label', async () => {
    for (let i = 0; i < 3; i++) await node.request('GET', `/api/servers/${SERVER}`)
    await node.request('GET', `/no/such/${randomUUID()}`)
    await node.request('GET', `/api/servers/${randomUUID()}/files/list-directory`)
    await node.request('GET', `/${randomUUID()}`, { token: null })

    const families = await scrape()
    const requests = families.family('wings_http_request_duration_seconds')
    const routes = new Set(requests.samples.map((m) => m.labels['route']))

    expect(requests.type).toBe('histogram')
    expect(
      families.value('wings_http_request_duration_seconds', {
        route: '/api/servers/{server}',
        method: 'GET',
        code: '200',
      }),
    ).toBeGreaterThanOrEqual(3)
    expect(routes).toContain('unmatched')
    expect(
      [...routes].filter((r) => r === undefined || !/^(\/[a-z{}/_-]*|unmatched)$/.test(r)),
    ).toEqual([])
    expect([...routes].some((r) => r?.includes(SERVER) || r?.includes('no/such'))).toBe(false)
  })

  it('counts open console websockets, and the event-loop lag and operations in flight', async () => {
    const ws = `ws://127.0.0.1:${new URL(node.daemon.url).port}/api/servers/${SERVER}/ws`
    const client = await Client.open(ws, node.sim.nodeConfiguration().remote)
    const open = (await scrape()).value('wings_websocket_connections')
    client.ws.close()
    await client.closedWith()

    const families = await scrape()
    expect(open).toBe(1)
    expect(families.value('wings_websocket_connections')).toBe(0)
    expect(families.value('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0)
    expect(families.value('process_resident_memory_bytes')).toBeGreaterThan(0)
    for (const kind of ['backups', 'restores', 'transfers']) {
      expect(families.value(`wings_${kind}_in_flight`)).toBe(0)
    }
  })

  it('asks for its own token, and is not served on the API port', async () => {
    const anonymous = await fetch(metricsUrl)
    const nodeToken = await fetch(metricsUrl, {
      headers: { Authorization: `Bearer ${node.token}` },
    })
    const onApi = await node.request('GET', '/metrics')
    const otherPath = await fetch(metricsUrl.replace('/metrics', '/api/system'), {
      headers: { Authorization: `Bearer ${METRICS_TOKEN}` },
    })

    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer')
    expect(nodeToken.status).toBe(401)
    expect(onApi.status).toBe(404)
    expect(otherPath.status).toBe(404)
  })

  it('listens on nothing once metrics.enabled is off (the default)', async () => {
    await node.restart('stop', (config) => {
      delete config['metrics']
    })

    const refused = await fetch(metricsUrl).catch((err: unknown) => err)

    expect(refused).toBeInstanceOf(TypeError)
    expect((await node.request('GET', '/api/system')).status).toBe(200)
  })
})
