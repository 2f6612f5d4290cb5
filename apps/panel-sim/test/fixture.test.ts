import { readFile } from 'node:fs/promises'

import { afterEach, describe, expect, it } from 'vitest'

import {
  FixtureError,
  sampleFixture,
  startPanelSim,
  type Fixture,
  type PanelSim,
} from '@node/panel-sim'

let sim: PanelSim | undefined

afterEach(async () => {
  await sim?.close()
  sim = undefined
})

describe('fixtures', () => {
  it('keeps fixtures/sample.json identical to sampleFixture()', async () => {
    const file = JSON.parse(
      await readFile(new URL('../fixtures/sample.json', import.meta.url), 'utf8'),
    ) as unknown

    expect(file).toEqual(sampleFixture())
  })

  it('loads a fixture from a file path, with the node option merged over its first node', async () => {
    sim = await startPanelSim({
      fixture: new URL('../fixtures/sample.json', import.meta.url).pathname,
      node: { daemonUrl: 'http://127.0.0.1:18080', tokenId: 'embedded', token: 'embedded-token' },
    })

    expect(sim.node()).toMatchObject({
      scheme: 'http',
      fqdn: '127.0.0.1',
      daemonListen: 18080,
      daemonTokenId: 'embedded',
      daemonToken: 'embedded-token',
      uuid: '0f4b8f3e-3c8a-4b8e-9d9a-2c1f6b7a8e90',
    })
    expect(sim.servers().map((s) => s.uuid)).toEqual(['d3aac109-e5e0-4331-b03e-3454f7e136dc'])
  })

  it('makes the process-environment sample skip egg scripts', () => {
    expect(sampleFixture({ environment: 'process' }).servers![0]!.skipScripts).toBe(true)
    expect(sampleFixture({ environment: 'docker' }).servers![0]!.skipScripts).toBe(false)
  })

  it.each([
    [{ servers: [{ egg: 99 }] }, 'fixture.servers[0].egg refers to egg 99, which does not exist'],
    [{ servers: [{ uuid: 'not-a-uuid' }] }, 'fixture.servers[0].uuid must be a UUID'],
    [{ servers: [{ memroy: 5 }] }, 'fixture.servers[0].memroy is not a known field'],
    [
      { servers: [{ environment: { NOPE: 'x' } }] },
      'fixture.servers[0].environment.NOPE is not a variable of egg 1',
    ],
    [
      { nodes: [{ tokenId: 'a.b' }] },
      'fixture.nodes[0].tokenId must be non-empty and contain no "."',
    ],
    [
      { users: [{ username: 'u', sshKeys: ['ssh-ed25519 garbage'] }] },
      'fixture.users[0].sshKeys[0] is not a public key',
    ],
    [
      {
        servers: [
          { allocations: [{ ip: '127.0.0.1', port: 30000 }] },
          { allocations: [{ ip: '127.0.0.1', port: 30000 }] },
        ],
      },
      'allocation 127.0.0.1:30000 on node 1 is already assigned',
    ],
  ])('rejects a broken fixture with a message naming the field (%#)', async (fixture, message) => {
    const failure = await startPanelSim({ fixture: fixture as Fixture }).catch(
      (err: unknown) => err,
    )

    expect(failure).toBeInstanceOf(FixtureError)
    expect((failure as Error).message).toContain(message)
  })
})
