import { randomUUID } from 'node:crypto'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleFixture } from '@node/panel-sim'
import { TEST_IMAGE } from '@node/testkit'

import { freePort, startTestNode, type TestNode } from './support/test-node.js'

// Issue 15 item 4: Pelican's additional routes through the real daemon process, driven over HTTP
// with the node token as Pelican's Panel drives them; the Docker routes against the real engine.

const docker = new Docker()
const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const CONFIGURED_IP = '203.0.113.50'
let node: TestNode
let outside: string

beforeAll(async () => {
  const fixture = sampleFixture({ environment: 'docker' })
  const port = await freePort()
  node = await startTestNode({
    environment: 'docker',
    fixture: {
      ...fixture,
      servers: [{ ...fixture.servers![0]!, allocations: [{ ip: '127.0.0.1', port }] }],
    },
    config: {
      Search: { max_recursion_depth: 3, blacklisted_dirs: ['node_modules'] },
    },
  })
  outside = path.join(path.dirname(node.configPath), 'outside')
}, 120_000)

afterAll(async () => {
  await docker
    .getContainer(SERVER)
    .remove({ force: true })
    .catch(() => undefined)
  await node?.[Symbol.asyncDispose]()
}, 60_000)

async function get(route: string): Promise<{ status: number; text: string; type: string }> {
  const res = await node.request('GET', route)
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' }
}

describe('GET /api/servers/:server/install-logs', () => {
  it("answers the reference's 500 before any install", async () => {
    const res = await get(`/api/servers/${SERVER}/install-logs`)

    expect(res.status).toBe(500)
    expect(JSON.parse(res.text)).toEqual({
      error: 'failed to read the log for the installation process.',
    })
  })

  it("serves the script's output of the last install, without the log's header", async () => {
    const install = await node.request('POST', `/api/servers/${SERVER}/install`)
    expect(install.status).toBe(202)
    await node.sim.waitForCall(
      (call) => call.path === `/api/remote/servers/${SERVER}/install` && call.method === 'POST',
      60_000,
    )

    const res = await get(`/api/servers/${SERVER}/install-logs`)
    const { data } = JSON.parse(res.text) as { data: string }

    expect(res.status).toBe(200)
    expect(data.startsWith('Installing sample server\nInstallation done\n')).toBe(true)
    expect(data).not.toContain('Installation Log')
  })

  it('keeps the server lookup and the node token in front', async () => {
    const unknown = await get(`/api/servers/${randomUUID()}/install-logs`)
    const anonymous = await node.request('GET', `/api/servers/${SERVER}/install-logs`, {
      token: null,
    })

    expect(unknown.status).toBe(404)
    expect(anonymous.status).toBe(401)
  })
})

describe('GET /api/servers/:server/files/search', () => {
  const search = (query: string) => get(`/api/servers/${SERVER}/files/search?${query}`)

  beforeAll(async () => {
    const root = path.join(node.dataDirectory, SERVER)
    for (const dir of ['plugins/Essentials', 'node_modules/x', 'a/b/c/d/e']) {
      await mkdir(path.join(root, dir), { recursive: true })
    }
    await writeFile(path.join(root, 'plugins/Essentials/config.yml'), 'a: 1\n')
    await writeFile(path.join(root, 'node_modules/x/config.yml'), 'hidden\n')
    await writeFile(path.join(root, 'a/b/c/d/e/config.yml'), 'too deep\n')
    await mkdir(outside, { recursive: true })
    await writeFile(path.join(outside, 'config.yml'), 'not the server’s\n')
    await symlink(outside, path.join(root, 'link-out'))
  })

  it('answers Stat objects named by their path below the directory', async () => {
    const res = await search('directory=%2Fplugins%2F&pattern=CONFIG')
    const entries = JSON.parse(res.text) as Record<string, unknown>[]

    expect(res.status).toBe(200)
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({
      name: '/plugins/Essentials/config.yml',
      size: 5,
      file: true,
      directory: false,
    })
    expect(Object.keys(entries[0]!)).toEqual([
      'name',
      'created',
      'modified',
      'mode',
      'mode_bits',
      'size',
      'directory',
      'file',
      'symlink',
      'mime',
    ])
  })

  it('skips excluded directories, stops at the configured depth, and never follows a link out', async () => {
    const res = await search('directory=%2F&pattern=*.yml')
    const names = (JSON.parse(res.text) as { name: string }[]).map((e) => e.name)

    expect(res.status).toBe(200)
    expect(names).toEqual(['plugins/Essentials/config.yml'])
  })

  it("refuses a pattern under three bytes with Pelican's message", async () => {
    const res = await search('directory=%2F&pattern=ab')

    expect(res.status).toBe(400)
    expect(JSON.parse(res.text)).toEqual({ error: 'Pattern must be at least 3 characters long' })
  })

  it('answers hostile patterns and directories without harm to the process', async () => {
    const cases = [
      ['directory=%2F&pattern=%5B%5B%5B', 200],
      ['directory=%2F&pattern=abc%5C', 200],
      [`directory=%2F&pattern=${'*a'.repeat(2000)}b`, 200],
      ['directory=..%2F..%2F..%2Fetc&pattern=passwd', 404],
      ['directory=%2Fplugins%00&pattern=config', 404],
      ['directory=%2F&pattern=%00%00%00', 200],
      ['directory=%2F&pattern=a&pattern=bcd', 400],
    ] as const
    for (const [query, status] of cases) {
      const res = await search(query)
      expect(res.status, query.slice(0, 60)).toBe(status)
      if (status === 200) expect(JSON.parse(res.text)).toEqual([])
    }
    expect((await get('/api/system')).status).toBe(200)
  })

  it('answers 404 for a directory that does not exist or leads out through a link', async () => {
    const missing = await search('directory=%2Fnope&pattern=config')
    const throughLink = await search('directory=%2Flink-out&pattern=config')

    expect(missing.status).toBe(404)
    expect(throughLink.status).toBe(404)
    expect(throughLink.text).not.toContain('config.yml')
  })
})

describe('GET /api/diagnostics', () => {
  it('serves the diagnostics report as text, endpoints and the token masked', async () => {
    const res = await get('/api/diagnostics')

    expect(res.status).toBe(200)
    expect(res.type).toBe('text/plain; charset=utf-8')
    expect(res.text).toContain('Diagnostics Report')
    expect(res.text).toMatch(/Docker: Info/)
    expect(res.text).not.toContain(node.sim.url)
    expect(res.text).not.toContain(node.token)
  })

  it('shows endpoints on include_endpoints=true and leaves logs out on include_logs=false', async () => {
    const res = await get('/api/diagnostics?include_endpoints=TRUE&include_logs=false')

    expect(res.status).toBe(200)
    expect(res.text).toContain(node.sim.url)
    expect(res.text).toContain('Logs redacted.')
  })

  it('reads log_lines, bounded', async () => {
    const logLines = async (query: string) => {
      const { text } = await get(`/api/diagnostics?${query}`)
      return text.split('| Latest Daemon Logs\n| ------------------------------\n')[1]!.trimEnd()
    }

    expect((await logLines('log_lines=1')).split('\n')).toHaveLength(1)
    expect((await logLines('log_lines=3')).split('\n')).toHaveLength(3)
  })
})

describe('the node routes', () => {
  it('GET /api/system/ips lists the interfaces and the configured addresses', async () => {
    await node.restart('stop', (config) => {
      ;(config['docker'] as Record<string, unknown>)['system_ips'] = [CONFIGURED_IP]
    })
    const res = await get('/api/system/ips')
    const { ip_addresses } = JSON.parse(res.text) as { ip_addresses: string[] }

    expect(res.status).toBe(200)
    expect(ip_addresses.at(-1)).toBe(CONFIGURED_IP)
    expect(ip_addresses).not.toContain('127.0.0.1')
    expect(ip_addresses.some((ip) => ip.startsWith('fe80:'))).toBe(false)
  })

  it("GET /api/system/utilization reports the host's memory and the disks of its directories", async () => {
    const res = await get('/api/system/utilization')
    const body = JSON.parse(res.text) as {
      memory_total: number
      cpu_percent: number
      disk_details: { tags: string[]; total_space: number }[]
    }

    expect(res.status).toBe(200)
    expect(body.memory_total).toBe(os.totalmem())
    expect(body.cpu_percent).toBeGreaterThanOrEqual(0)
    expect(body.cpu_percent).toBeLessThanOrEqual(100)
    expect(body.disk_details.flatMap((d) => d.tags)).toContain('Data')
  })

  it("GET /api/system/docker/disk sums Docker's disk use", async () => {
    const res = await get('/api/system/docker/disk')
    const body = JSON.parse(res.text) as Record<string, number>

    expect(res.status).toBe(200)
    expect(Object.keys(body)).toEqual([
      'containers_size',
      'images_total',
      'images_active',
      'images_size',
      'build_cache_size',
    ])
    expect(body['images_total']).toBeGreaterThanOrEqual(1)
    expect(body['images_size']).toBeGreaterThan(0)
  })

  it('DELETE /api/system/docker/image/prune removes dangling images and reports them', async () => {
    const container = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ['true'] })
    const { Id: dangling } = (await container.commit()) as { Id: string }
    await container.remove({ force: true })

    const res = await node.request('DELETE', '/api/system/docker/image/prune')
    const body = (await res.json()) as {
      ImagesDeleted: { Deleted?: string }[] | null
      SpaceReclaimed: number
    }

    expect(res.status).toBe(200)
    expect(body.ImagesDeleted?.map((i) => i.Deleted)).toContain(dangling)
    expect(typeof body.SpaceReclaimed).toBe('number')
    expect(
      await docker
        .getImage(dangling)
        .inspect()
        .catch(() => 'gone'),
    ).toBe('gone')
  })

  it('keeps the node token in front of every one of them', async () => {
    for (const [method, route] of [
      ['GET', '/api/system/ips'],
      ['GET', '/api/system/utilization'],
      ['GET', '/api/system/docker/disk'],
      ['DELETE', '/api/system/docker/image/prune'],
      ['GET', '/api/diagnostics'],
    ] as const) {
      const res = await node.request(method, route, { token: 'wrong' })
      expect(res.status, `${method} ${route}`).toBe(403)
    }
  })
})
