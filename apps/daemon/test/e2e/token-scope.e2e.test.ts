import { access, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { parse, stringify } from 'yaml'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleFixture } from '@node/panel-sim'
import { TOKEN_ERROR_MESSAGES } from '@node/shared-kernel'

import { Client } from '../websocket/websocket-harness.js'
import { startTestNode, type TestNode } from './support/test-node.js'

// Issue 10 item 2: by default the node learns whether its Panel signs `scope`. Panel 1.11 tokens
// (no scope) work until the first valid scoped token, and never again after it, across restarts.

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const LEARNED = 'the Panel signs tokens with a scope'

async function startNode(config?: Record<string, unknown>): Promise<TestNode> {
  const node = await startTestNode({
    fixture: sampleFixture({ environment: 'process' }),
    ...(config ? { config } : {}),
  })
  await writeFile(path.join(node.dataDirectory, SERVER, 'hello.txt'), 'hello')
  // Tokens issued in the daemon's boot second are refused (the boot-time deny rule).
  await new Promise((resolve) => setTimeout(resolve, 1100))
  return node
}

/** The first answer of the daemon to `auth` with the token: `auth success` or the refusal. */
async function authAnswer(node: TestNode, token: string): Promise<string> {
  const port = new URL(node.daemon.url).port
  const client = await Client.open(
    `ws://127.0.0.1:${port}/api/servers/${SERVER}/ws`,
    node.sim.nodeConfiguration().remote,
  )
  try {
    client.send('auth', token)
    const answer = await client.until(
      () => client.frames.find((f) => f.event !== 'throttled'),
      'an answer to auth',
    )
    return answer.event === 'auth success' ? 'auth success' : `${answer.event}: ${answer.args![0]}`
  } finally {
    client.close()
  }
}

const websocketToken = (node: TestNode, panelVersion: '1.11' | '1.12') =>
  node.sim.tokens.websocket({ server: SERVER }, { panelVersion }).token

const downloadStatus = async (node: TestNode, panelVersion: '1.11' | '1.12') =>
  (
    await fetch(
      node.sim.tokens.fileDownload({ server: SERVER, file: '/hello.txt' }, { panelVersion }).url,
    )
  ).status

describe('tokens without scope, learned (the default)', () => {
  let node: TestNode

  beforeAll(async () => {
    node = await startNode()
  }, 60_000)
  afterAll(async () => {
    await node?.[Symbol.asyncDispose]()
  })

  it('accepts Panel 1.11 tokens while no scoped token was seen', async () => {
    expect(await authAnswer(node, websocketToken(node, '1.11'))).toBe('auth success')
    expect(await downloadStatus(node, '1.11')).toBe(200)
  })

  it('refuses them once a Panel 1.12 token was seen, saying why, and logs it once', async () => {
    expect(await authAnswer(node, websocketToken(node, '1.12'))).toBe('auth success')
    expect(await authAnswer(node, websocketToken(node, '1.12'))).toBe('auth success')

    const refusal = await authAnswer(node, websocketToken(node, '1.11'))
    expect(refusal).toMatch(/^jwt error: Error Event \[[0-9a-f-]{36}\]: /)
    expect(refusal).toContain(TOKEN_ERROR_MESSAGES.missingScope)
    expect(refusal).toContain('api.accept_tokens_without_scope')
    expect(await downloadStatus(node, '1.11')).toBe(404)
    expect(await downloadStatus(node, '1.12')).toBe(200)
    expect(node.daemon.output().split(LEARNED)).toHaveLength(2)
  })

  it('remembers it across a restart, in the root directory', async () => {
    await access(path.join(path.dirname(node.configPath), 'lib', 'token-scope.json'))

    await node.restart('stop')
    await new Promise((resolve) => setTimeout(resolve, 1100))

    expect(await authAnswer(node, websocketToken(node, '1.11'))).toMatch(/no scope claim/)
    expect(await authAnswer(node, websocketToken(node, '1.12'))).toBe('auth success')
  })
})

describe('tokens without scope, forced by the setting', () => {
  let node: TestNode

  beforeAll(async () => {
    node = await startNode()
  }, 60_000)
  afterAll(async () => {
    await node?.[Symbol.asyncDispose]()
  })

  async function restartWith(setting: boolean): Promise<void> {
    const config = parse(await readFile(node.configPath, 'utf8')) as {
      api: Record<string, unknown>
    }
    config.api['accept_tokens_without_scope'] = setting
    await writeFile(node.configPath, stringify(config))
    await node.restart('stop')
    await new Promise((resolve) => setTimeout(resolve, 1100))
  }

  it('false refuses them before any scoped token was seen', async () => {
    await restartWith(false)

    expect(await authAnswer(node, websocketToken(node, '1.11'))).toMatch(/no scope claim/)
    expect(await downloadStatus(node, '1.11')).toBe(404)
  })

  it('true accepts them after scoped tokens were seen', async () => {
    await restartWith(true)

    expect(await authAnswer(node, websocketToken(node, '1.12'))).toBe('auth success')
    expect(await authAnswer(node, websocketToken(node, '1.11'))).toBe('auth success')
    expect(await downloadStatus(node, '1.11')).toBe(200)
  })
})
