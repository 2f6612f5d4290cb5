import { afterEach, describe, expect, it } from 'vitest'
import { sampleFixture, type ActivityRecord } from '@node/panel-sim'

import { Client } from '../websocket/websocket-harness.js'
import { startTestNode, type ConfigTree, type TestNode } from './support/test-node.js'

// The activity log end to end: what a browser and an uploader do through the real daemon process
// reaches panel-sim's activity table, and survives a crash of the daemon between record and send.

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
let node: TestNode | undefined

afterEach(async () => {
  await node?.[Symbol.asyncDispose]()
  node = undefined
})

async function startNode(sendIntervalSeconds: number): Promise<TestNode> {
  const fixture = sampleFixture({ environment: 'process' })
  const started = await startTestNode({ fixture })
  await started.restart('stop', sendEvery(sendIntervalSeconds))
  // Tokens issued in the daemon's boot second are refused (tokens.md: the boot-time deny rule).
  await new Promise((resolve) => setTimeout(resolve, 1100))
  return started
}

function sendEvery(seconds: number): (config: ConfigTree) => void {
  return (config) => {
    ;(config['system'] as ConfigTree)['activity_send_interval'] = seconds
  }
}

async function console_(n: TestNode): Promise<{ client: Client; user: string }> {
  const port = new URL(n.daemon.url).port
  const client = await Client.open(
    `ws://127.0.0.1:${port}/api/servers/${SERVER}/ws`,
    n.sim.nodeConfiguration().remote,
  )
  const { token } = n.sim.tokens.websocket({ server: SERVER })
  await client.authenticate(token)
  await client.next('status')
  return { client, user: userOf(token) }
}

function userOf(jwt: string): string {
  const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as {
    user_uuid: string
  }
  return claims.user_uuid
}

function received(n: TestNode): ActivityRecord[] {
  return n.sim.activity().filter((a) => a.source === 'daemon')
}

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = probe()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('activity log through the daemon', () => {
  it('sends console commands, power actions and uploads to the Panel', async () => {
    node = await startNode(1)
    const n = node
    const { client, user } = await console_(n)

    client.send('set state', 'start')
    await client.until(
      () => client.frames.find((f) => f.event === 'status' && f.args?.[0] === 'running'),
      'running',
      30_000,
    )
    client.send('send command', 'say hi')
    const upload = n.sim.tokens.fileUpload({ server: SERVER })
    const form = new FormData()
    form.append('files', new Blob(['hello']), 'hello.txt')
    const up = await fetch(`${upload.url}&directory=/a/../up`, { method: 'POST', body: form })
    expect(up.status).toBe(200)

    const events = await until(() => {
      const all = received(n)
      return all.length >= 3 ? all : undefined
    }, 'three activity entries')
    client.close()

    expect(events.map((a) => [a.event, a.serverUuid, a.ip, a.properties]).sort()).toEqual(
      [
        ['server:console.command', SERVER, '127.0.0.1', { command: 'say hi' }],
        ['server:file.uploaded', SERVER, '127.0.0.1', { file: 'hello.txt', directory: '/up' }],
        ['server:power.start', SERVER, '127.0.0.1', {}],
      ].sort(),
    )
    const console = events.find((a) => a.event === 'server:console.command')
    expect(console?.userUuid).toBe(user)
  })

  it('sends what was recorded before a crash of the daemon once it is back, once', async () => {
    node = await startNode(3600)
    const n = node
    const { client } = await console_(n)
    client.send('set state', 'start')
    await client.until(
      () => client.frames.find((f) => f.event === 'status' && f.args?.[0] === 'running'),
      'running',
      30_000,
    )
    client.send('send command', 'typed before the crash')
    await client.until(
      () =>
        client.frames.find(
          (f) => f.event === 'console output' && /typed before/.test(f.args?.[0] ?? ''),
        ),
      'the echo of the command',
    )
    client.close()

    await n.restart('kill', sendEvery(1))
    await until(
      () => (received(n).some((a) => a.event === 'server:console.command') ? true : undefined),
      'the command after the restart',
    )
    // Two more intervals: nothing is sent twice.
    await new Promise((resolve) => setTimeout(resolve, 2500))

    expect(
      received(n)
        .filter((a) => a.event === 'server:console.command')
        .map((a) => a.properties['command']),
    ).toEqual(['typed before the crash'])
  })
})
