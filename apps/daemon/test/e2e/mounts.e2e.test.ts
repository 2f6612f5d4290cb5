import { randomUUID } from 'node:crypto'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleFixture } from '@node/panel-sim'

import { freePort, startTestNode, type TestNode } from './support/test-node.js'

// Issue 9 item 15 on the real daemon and Docker: a Panel mount over the server's own directory
// (which makes Docker refuse the whole container) is left out with its reason logged, and a
// container Docker still refuses is logged with Docker's reason.

const docker = new Docker()
let node: TestNode
let shared: string
const servers: string[] = []

beforeAll(async () => {
  shared = await mkdtemp(path.join(tmpdir(), 'e2e-mounts-'))
  await chmod(shared, 0o755)
  await writeFile(path.join(shared, 'motd.txt'), 'hello from the host\n')
  const fixture = sampleFixture({ environment: 'docker' })
  node = await startTestNode({
    environment: 'docker',
    fixture: { ...fixture, nodes: [{ ...fixture.nodes![0]!, mounts: [shared] }] },
  })
}, 60_000)

afterAll(async () => {
  // The daemon first: a container removed under a running daemon is a crash it would restart.
  await node?.[Symbol.asyncDispose]()
  for (const uuid of servers) {
    await docker
      .getContainer(uuid)
      .remove({ force: true })
      .catch(() => undefined)
  }
  await rm(shared, { recursive: true, force: true })
}, 60_000)

async function createServer(mounts: { source: string; target: string }[]): Promise<string> {
  const uuid = randomUUID()
  servers.push(uuid)
  node.sim.addServer({
    id: 10 + servers.length,
    uuid,
    name: `Mounts ${servers.length}`,
    skipScripts: true,
    allocations: [{ ip: '127.0.0.1', port: await freePort() }],
    mounts: mounts.map((m) => ({ ...m, readOnly: true })),
  })
  const res = await node.request('POST', '/api/servers', {
    body: JSON.stringify({ uuid, start_on_completion: true }),
  })
  expect(res.status).toBe(202)
  return uuid
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const outputLine = (text: string) =>
  until(text, () =>
    Promise.resolve(
      node.daemon
        .output()
        .split('\n')
        .find((l) => l.includes(text)),
    ),
  )

describe('Panel mounts', () => {
  it('leaves out a mount over /home/container, says why, and the server still starts', async () => {
    const uuid = await createServer([
      { source: shared, target: '/home/container' },
      { source: shared, target: '/srv/../home' },
      { source: shared, target: '/srv/shared' },
    ])

    await until('running', async () => {
      const res = await node.request('GET', `/api/servers/${uuid}`)
      return ((await res.json()) as { state: string }).state === 'running' ? true : undefined
    })
    const mounts = (await docker.getContainer(uuid).inspect()).HostConfig.Mounts ?? []
    expect(mounts.map((m) => m.Target)).toEqual(['/home/container', '/srv/shared'])
    const refusals = node.daemon
      .output()
      .split('\n')
      .filter((line) => line.includes('leaving out a Panel mount') && line.includes(uuid))
    // Logged at each create of the container (the create of the server, then the start).
    expect(refusals.length).toBeGreaterThan(0)
    expect(refusals.every((l) => !l.includes('/srv/shared'))).toBe(true)
    expect(
      refusals.some((l) =>
        l.includes("the target is the server's own directory or one of its parents"),
      ),
    ).toBe(true)
    expect(refusals.some((l) => l.includes('/srv/../home') && l.includes('segment'))).toBe(true)
  })

  it("logs Docker's reason when Docker refuses the container", async () => {
    const uuid = await createServer([{ source: path.join(shared, 'missing'), target: '/srv/x' }])

    const line = await outputLine(`failed to install a new server  server_id=${uuid}`)

    expect(line).toMatch(/failed to create container: .*bind source path does not exist/)
    node.daemon.assertNoCrash()
  })
})
