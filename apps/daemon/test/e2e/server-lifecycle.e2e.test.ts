import { randomUUID } from 'node:crypto'
import { access, readFile } from 'node:fs/promises'
import path from 'node:path'

import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleFixture } from '@node/panel-sim'

import { freePort, startTestNode, type TestNode } from './support/test-node.js'

// A server's life around its edges, on the real daemon process and on both environments: a
// DELETE while the server is still being created or installed, a create the Panel gave up on,
// and an install script that fails (issue 9 item 2, issue 10 items 3 and 4).

const docker = new Docker()
const INSTALLING = 2
const FAILING = 3

/** The sample fixture with two more eggs: an install that takes a moment, one that fails. */
function fixtureFor(environment: 'docker' | 'process') {
  const base = sampleFixture({ environment })
  const egg = base.eggs![0]!
  return {
    ...base,
    eggs: [
      egg,
      {
        ...egg,
        id: INSTALLING,
        uuid: randomUUID(),
        name: 'Slow install',
        scriptEntry: 'sh',
        scriptInstall: 'echo "Installing"\nsleep 1\necho "Installed"\n',
      },
      {
        ...egg,
        id: FAILING,
        uuid: randomUUID(),
        name: 'Failing install',
        scriptEntry: 'sh',
        scriptInstall: 'echo "about to fail"\nexit 7\n',
      },
    ],
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

describe.each(['docker', 'process'] as const)('server lifecycle (%s)', (environment) => {
  let node: TestNode
  let nextId = 100

  beforeAll(async () => {
    node = await startTestNode({ environment, fixture: fixtureFor(environment) })
  }, 60_000)

  afterAll(async () => {
    await node?.[Symbol.asyncDispose]()
  }, 60_000)

  async function addServer(egg: number): Promise<string> {
    const uuid = randomUUID()
    node.sim.addServer({
      id: nextId++,
      uuid,
      name: `Lifecycle ${uuid.slice(0, 8)}`,
      egg,
      skipScripts: false,
      allocations: [{ ip: '127.0.0.1', port: await freePort() }],
    })
    return uuid
  }

  const create = (uuid: string, signal?: AbortSignal) =>
    fetch(`${node.daemon.url}/api/servers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${node.token}` },
      body: JSON.stringify({ uuid, start_on_completion: true }),
      ...(signal ? { signal } : {}),
    })

  const exists = (file: string) =>
    access(file).then(
      () => true,
      () => false,
    )

  async function containerExists(name: string): Promise<boolean> {
    if (environment !== 'docker') return false
    return docker
      .getContainer(name)
      .inspect()
      .then(
        () => true,
        (err: { statusCode?: number }) => {
          if (err.statusCode === 404) return false
          throw err
        },
      )
  }

  /** What of the server is left on the node, by where it would be. */
  async function leftovers(uuid: string): Promise<string[]> {
    const left: string[] = []
    if ((await node.request('GET', `/api/servers/${uuid}`)).status !== 404) left.push('route')
    const list = (await (await node.request('GET', '/api/servers')).json()) as {
      configuration: { uuid: string }
    }[]
    if (list.some((s) => s.configuration.uuid === uuid)) left.push('list')
    if (await exists(path.join(node.dataDirectory, uuid))) left.push('files')
    if (await containerExists(uuid)) left.push('container')
    if (await containerExists(`${uuid}_installer`)) left.push('installer container')
    return left
  }

  /** Nothing is left once the work in flight settled, and nothing comes back afterwards. */
  async function expectGoneForGood(uuid: string): Promise<void> {
    await until(`${uuid} gone`, async () =>
      (await leftovers(uuid)).length === 0 ? true : undefined,
    )
    // The slow install takes a second; anything still in flight would have acted by now.
    await sleep(2000)
    expect(await leftovers(uuid)).toEqual([])
    node.daemon.assertNoCrash()
    expect((await node.request('GET', '/api/system')).status).toBe(200)
  }

  it.each([0, 30, 100, 250, 600])(
    'deletes a server %i ms into its create and install: nothing is left, the daemon stays up',
    async (delayMs) => {
      const uuid = await addServer(INSTALLING)
      expect((await create(uuid)).status).toBe(202)
      await sleep(delayMs)

      // The Panel tells the node first and drops its row after (ServerDeletionService).
      const res = await node.request('DELETE', `/api/servers/${uuid}`)

      expect(res.status).toBe(204)
      await expectGoneForGood(uuid)
    },
    30_000,
  )

  it('cancels a create whose request went away: the server never appears', async () => {
    const uuid = await addServer(INSTALLING)
    const configuration = `/api/remote/servers/${uuid}`
    node.sim.failNext({ path: configuration, method: 'GET', delayMs: 1500, thenAnswer: true })

    // The Panel gives up waiting (after 15 s in real life) and deletes the server.
    const cutOff = await create(uuid, AbortSignal.timeout(300)).catch((err: unknown) => err)
    expect(cutOff).toBeInstanceOf(Error)
    const res = await node.request('DELETE', `/api/servers/${uuid}`)

    expect([204, 404]).toContain(res.status)
    await node.sim.waitForCall((call) => call.path === configuration && call.status !== undefined)
    await expectGoneForGood(uuid)
    expect(node.sim.callsTo(`${configuration}/install`)).toEqual([])
  }, 30_000)

  it('lets a DELETE during a create win', async () => {
    const uuid = await addServer(INSTALLING)
    const configuration = `/api/remote/servers/${uuid}`
    node.sim.failNext({ path: configuration, method: 'GET', delayMs: 1000, thenAnswer: true })

    const creating = create(uuid)
    await node.sim.waitForCall((call) => call.path === configuration)
    const res = await node.request('DELETE', `/api/servers/${uuid}`)

    expect(res.status).toBe(204)
    expect((await creating).status).toBe(500)
    await expectGoneForGood(uuid)
    expect(node.sim.callsTo(`${configuration}/install`)).toEqual([])
  }, 30_000)

  it('reports a failed install script as unsuccessful and logs its exit code', async () => {
    const uuid = await addServer(FAILING)

    expect((await create(uuid)).status).toBe(202)

    const report = await node.sim.waitForCall(
      (call) => call.path === `/api/remote/servers/${uuid}/install` && call.method === 'POST',
      60_000,
    )
    expect(report.body).toEqual({ successful: false, reinstall: false })
    const log = await readFile(
      path.join(path.dirname(node.configPath), 'log', 'install', `${uuid}.log`),
      'utf8',
    )
    expect(log).toContain('about to fail\n')
    expect(log).toMatch(/\| Script Exit Code\n\| -+\n {2}7\n$/)
    // A failed install never starts the server, even with start_on_completion.
    expect(
      ((await (await node.request('GET', `/api/servers/${uuid}`)).json()) as { state: string })
        .state,
    ).toBe('offline')
    expect((await node.request('DELETE', `/api/servers/${uuid}`)).status).toBe(204)
    await expectGoneForGood(uuid)
  }, 60_000)
})
