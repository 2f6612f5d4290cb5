import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'

import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleFixture } from '@node/panel-sim'

import { freePort, startTestNode, type TestNode } from './support/test-node.js'

// Issue 3's end-to-end contract on the Docker environment: the real daemon process installs,
// starts, commands, stops and deletes a server driven over HTTP by panel-sim, and survives its own
// SIGKILL while the server runs.

const docker = new Docker()
const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const CREATED = randomUUID()
let node: TestNode

beforeAll(async () => {
  const fixture = sampleFixture({ environment: 'docker' })
  const port = await freePort()
  const base = fixture.servers![0]!
  node = await startTestNode({
    environment: 'docker',
    fixture: {
      ...fixture,
      servers: [{ ...base, allocations: [{ ip: '127.0.0.1', port }] }],
    },
  })
}, 120_000)

afterAll(async () => {
  for (const uuid of [SERVER, CREATED]) {
    await docker
      .getContainer(uuid)
      .remove({ force: true })
      .catch(() => undefined)
  }
  await node?.[Symbol.asyncDispose]()
}, 60_000)

async function json(
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await node.request(
    method,
    route,
    body === undefined ? {} : { body: JSON.stringify(body) },
  )
  const text = await res.text()
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) }
}

async function stateOf(uuid: string): Promise<string> {
  const { body } = await json('GET', `/api/servers/${uuid}`)
  return (body as { state: string }).state
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const inState = (uuid: string, state: string) =>
  until(`${uuid} ${state}`, async () => ((await stateOf(uuid)) === state ? true : undefined))

async function logs(uuid: string, size?: number): Promise<string[]> {
  const { body } = await json('GET', `/api/servers/${uuid}/logs${size ? `?size=${size}` : ''}`)
  return (body as { data: string[] | null }).data ?? []
}

describe('install', () => {
  it('runs the egg script in a container on the server files and reports to the Panel', async () => {
    const res = await json('POST', `/api/servers/${SERVER}/install`)
    expect(res.status).toBe(202)

    const report = await node.sim.waitForCall(
      (call) => call.path === `/api/remote/servers/${SERVER}/install` && call.method === 'POST',
      60_000,
    )
    expect(report.body).toEqual({ successful: true, reinstall: false })
    expect(await readFile(path.join(node.dataDirectory, SERVER, 'eula.txt'), 'utf8')).toBe(
      'eula=true\n',
    )
    const log = await readFile(
      path.join(path.dirname(node.configPath), 'log', 'install', `${SERVER}.log`),
      'utf8',
    )
    expect(log).toContain('Installing sample server\nInstallation done\n')
  })
})

describe('power', () => {
  it('starts the server: running once the done line is printed, config files rewritten', async () => {
    const res = await json('POST', `/api/servers/${SERVER}/power`, { action: 'start' })
    expect(res.status).toBe(202)

    await inState(SERVER, 'running')
    const properties = await readFile(
      path.join(node.dataDirectory, SERVER, 'server.properties'),
      'utf8',
    )
    expect(properties).toMatch(/^server-ip=0\.0\.0\.0$/m)
    const { body } = await json('GET', `/api/servers/${SERVER}`)
    expect((body as { utilization: { state: string } }).utilization.state).toBe('running')
  })

  it('sends commands and serves the console log', async () => {
    const res = await json('POST', `/api/servers/${SERVER}/commands`, {
      commands: ['hello', 'world'],
    })
    expect(res.status).toBe(204)

    const lines = await until('echo', async () => {
      const l = await logs(SERVER)
      return l.includes('> world') ? l : undefined
    })
    expect(lines).toContain('> hello')
    expect(await logs(SERVER, 1)).toEqual(['> world'])
  })

  it('refuses a bad action, a start of a running server only in the background', async () => {
    expect(await json('POST', `/api/servers/${SERVER}/power`, { action: 'explode' })).toEqual({
      status: 422,
      body: {
        error:
          'The power action provided was not valid, should be one of "stop", "start", "restart", "kill"',
      },
    })
    expect((await json('POST', `/api/servers/${SERVER}/power`, { action: 7 })).status).toBe(400)
    expect((await json('POST', `/api/servers/${SERVER}/power`, { action: 'start' })).status).toBe(
      202,
    )
    expect(await stateOf(SERVER)).toBe('running')
  })

  it('keeps the server running and attached across a SIGKILL of the daemon', async () => {
    await node.restart('kill')

    expect(await stateOf(SERVER)).toBe('running')
    expect(
      (await json('POST', `/api/servers/${SERVER}/commands`, { commands: ['after restart'] }))
        .status,
    ).toBe(204)
    await until('echo after restart', async () =>
      (await logs(SERVER)).includes('> after restart') ? true : undefined,
    )
  })

  it('stops the server with the egg stop command, then refuses commands with 502', async () => {
    expect((await json('POST', `/api/servers/${SERVER}/power`, { action: 'stop' })).status).toBe(
      202,
    )
    await inState(SERVER, 'offline')

    expect(await json('POST', `/api/servers/${SERVER}/commands`, { commands: ['hello'] })).toEqual({
      status: 502,
      body: { error: 'Cannot send commands to a stopped server instance.' },
    })
    expect(await logs(SERVER)).toContain('Stopping sample server')
  })

  it('refuses to start a suspended server', async () => {
    await node.sim.suspendServer(SERVER)

    expect(await json('POST', `/api/servers/${SERVER}/power`, { action: 'start' })).toEqual({
      status: 400,
      body: { error: 'Cannot start or restart a server that is suspended.' },
    })
    await node.sim.unsuspendServer(SERVER)
    expect((await json('POST', `/api/servers/${SERVER}/power`, { action: 'restart' })).status).toBe(
      202,
    )
    await inState(SERVER, 'running')
  })

  it('kills the server', async () => {
    expect((await json('POST', `/api/servers/${SERVER}/power`, { action: 'kill' })).status).toBe(
      202,
    )
    await inState(SERVER, 'offline')
  })
})

describe('reinstall and delete', () => {
  it('reinstalls and reports it as a reinstall', async () => {
    node.sim.clearCalls()
    expect((await json('POST', `/api/servers/${SERVER}/reinstall`)).status).toBe(202)

    const report = await node.sim.waitForCall(
      (call) => call.path === `/api/remote/servers/${SERVER}/install` && call.method === 'POST',
      60_000,
    )
    expect(report.body).toEqual({ successful: true, reinstall: true })
  })

  it('creates a server that installs and starts on completion', async () => {
    const base = node.sim.server(SERVER)
    node.sim.addServer({
      id: 2,
      uuid: CREATED,
      name: 'Created',
      node: base.nodeId,
      owner: base.ownerId,
      egg: base.eggId,
      memory: 256,
      disk: 512,
      cpu: 100,
      allocations: [{ ip: '127.0.0.1', port: await freePort() }],
    })

    expect(
      (await json('POST', '/api/servers', { uuid: CREATED, start_on_completion: true })).status,
    ).toBe(202)

    await inState(CREATED, 'running')
    expect(await readFile(path.join(node.dataDirectory, CREATED, 'eula.txt'), 'utf8')).toBe(
      'eula=true\n',
    )
  })

  it('deletes a running server with its container', async () => {
    expect((await json('DELETE', `/api/servers/${CREATED}`)).status).toBe(204)

    const inspect = await docker
      .getContainer(CREATED)
      .inspect()
      .catch((err: { statusCode?: number }) => err.statusCode)
    expect(inspect).toBe(404)
    expect((await json('GET', `/api/servers/${CREATED}/logs`)).status).toBe(404)
  })
})

describe('GET logs of a server without a container', () => {
  it('answers as for a server that never ran: no lines, and nothing logged as an error', async () => {
    await docker.getContainer(SERVER).remove({ force: true })

    const res = await node.request('GET', `/api/servers/${SERVER}/logs`)

    expect(res.status).toBe(200)
    expect(await res.text()).toBe('{"data":null}')
    expect(node.daemon.output()).not.toMatch(/ERROR .*\/logs/)
  })
})
