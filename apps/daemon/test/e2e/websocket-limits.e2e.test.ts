import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleFixture } from '@node/panel-sim'

import { Client } from '../websocket/websocket-harness.js'
import { startTestNode, type ConfigTree, type TestNode } from './support/test-node.js'

// The console websocket's limits come from `api.websocket` in config.yml.

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
let node: TestNode

beforeAll(async () => {
  node = await startTestNode({ fixture: sampleFixture({ environment: 'process' }) })
  await node.restart('stop', (config) => {
    ;(config['api'] as ConfigTree)['websocket'] = {
      max_connections_per_server: 1,
      max_frame_size: 64,
    }
  })
}, 60_000)

afterAll(async () => {
  await node?.[Symbol.asyncDispose]()
})

describe('api.websocket', () => {
  it('bounds the sockets of a server and the size of a frame as configured', async () => {
    const url = `ws://127.0.0.1:${new URL(node.daemon.url).port}/api/servers/${SERVER}/ws`
    const origin = node.sim.nodeConfiguration().remote
    const first = await Client.open(url, origin)

    await expect(Client.open(url, origin)).rejects.toThrow('HTTP 400')

    first.send('auth', 'x'.repeat(100))
    expect((await first.closedWith()).code).toBe(1009)
  })
})
