import { readFile } from 'node:fs/promises'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { sampleFixture } from '@node/panel-sim'

import { startTestNode, type TestNode } from './support/test-node.js'

// Boot step 10: the configuration, completed by the start, is written back to its file, and a
// key this daemon does not know survives it.

let node: TestNode

beforeAll(async () => {
  node = await startTestNode({
    fixture: sampleFixture({ environment: 'process' }),
    config: { pelican_only: { custom_headers: { 'X-Kept': 'kept' } } },
  })
}, 60_000)

afterAll(async () => {
  await node?.[Symbol.asyncDispose]()
})

describe('config.yml at boot', () => {
  it('is written back with what the start found out, unknown keys kept', async () => {
    const written = parse(await readFile(node.configPath, 'utf8')) as {
      token: string
      pelican_only: unknown
      system: { timezone: string; username: string; user: { uid: number; gid: number } }
    }

    expect(written.pelican_only).toEqual({ custom_headers: { 'X-Kept': 'kept' } })
    expect(written.system.timezone).not.toBe('')
    const passwd = (await readFile('/etc/passwd', 'utf8'))
      .split('\n')
      .find((line) => line.startsWith(`${written.system.username}:`))
    expect(written.system.user.uid).toBe(Number(passwd?.split(':')[2]))
    expect(written.system.user.gid).toBe(Number(passwd?.split(':')[3]))
    expect(written.token).toBe(node.token)
  })
})
