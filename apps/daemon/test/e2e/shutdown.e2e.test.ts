import { once } from 'node:events'
import path from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'
import { sampleFixture } from '@node/panel-sim'
import { FAKE_GAME_SERVER, listProcesses } from '@node/testkit'

import { startTestNode, type TestNode } from './support/test-node.js'

// Issue 10 item 7: SIGTERM stops the real daemon process while a process-environment server runs,
// and no server process outlives it (a child cannot be adopted by the next daemon).

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
let node: TestNode | undefined

afterEach(async () => {
  await node?.[Symbol.asyncDispose]()
  node = undefined
})

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function stateOf(n: TestNode): Promise<string> {
  const res = await n.request('GET', `/api/servers/${SERVER}`)
  return ((await res.json()) as { state: string }).state
}

/** Starts the sample server and resolves to the pids working in its directory once it runs. */
async function startServer(n: TestNode): Promise<number[]> {
  const res = await n.request('POST', `/api/servers/${SERVER}/power`, {
    body: JSON.stringify({ action: 'start' }),
  })
  expect(res.status).toBe(202)
  await until('running', async () => ((await stateOf(n)) === 'running' ? true : undefined))
  return until('the server process', async () => {
    const pids = await serverPids(n)
    return pids.length > 0 ? pids : undefined
  })
}

async function serverPids(n: TestNode): Promise<number[]> {
  const root = path.join(n.dataDirectory, SERVER)
  return (await listProcesses()).filter((p) => p.cwd.startsWith(root)).map((p) => p.pid)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The sample egg, with a server that ignores its stop command and SIGTERM. */
function stubbornFixture() {
  const fixture = sampleFixture({ environment: 'process' })
  return {
    ...fixture,
    eggs: fixture.eggs!.map((egg) => ({
      ...egg,
      startup: `exec ${FAKE_GAME_SERVER}`,
      configStop: 'please-stop',
      configFiles: {},
    })),
  }
}

describe('daemon shutdown with a running process-environment server', () => {
  it('SIGTERM stops the server and the daemon; the next daemon starts the server again', async () => {
    node = await startTestNode({ fixture: sampleFixture({ environment: 'process' }) })
    const pids = await startServer(node)

    await node.daemon.stop()

    expect(node.daemon.child.exitCode).toBe(0)
    expect(pids.filter(alive)).toEqual([])
    expect(node.daemon.output()).toContain('stopping')

    await node.restart()
    await until('running again', async () =>
      (await stateOf(node!)) === 'running' ? true : undefined,
    )
  })

  it('a second signal kills a server that ignores its stop and exits at once', async () => {
    node = await startTestNode({ fixture: stubbornFixture() })
    const pids = await startServer(node)
    await node.request('POST', `/api/servers/${SERVER}/commands`, {
      body: JSON.stringify({ commands: ['ignore-signals'] }),
    })
    await until('signals ignored', async () => {
      const res = await node!.request('GET', `/api/servers/${SERVER}/logs`)
      const lines = ((await res.json()) as { data: string[] }).data
      return lines.includes('ignoring SIGTERM and SIGINT') ? true : undefined
    })

    const exited = once(node.daemon.child, 'exit')
    node.daemon.child.kill('SIGTERM')
    await until('stopping', () =>
      Promise.resolve(node!.daemon.output().includes('stopping') ? true : undefined),
    )
    await node.daemon.stop()
    await exited

    expect(pids.filter(alive)).toEqual([])
    expect(node.daemon.output()).toContain('second signal')
  })
})
