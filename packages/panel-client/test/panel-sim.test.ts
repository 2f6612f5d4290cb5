import {
  makeServers,
  SAMPLE_IMAGE,
  sampleFixture,
  startPanelSim,
  type PanelSim,
} from '@node/panel-sim'
import { isDaemonError } from '@node/shared-kernel'
import { afterEach, describe, expect, it } from 'vitest'

import {
  fetchNodeConfiguration,
  HttpPanelGateway,
  PanelCallError,
  parseServerConfiguration,
  serverConfigurationToWire,
} from '../src/index.js'

const TOKEN_ID = 'Q0mVwY8pXb3Kc7Rt'
const TOKEN = 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2'
const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const ADMIN = '5e4c2b8a-7f61-4c1e-9a3d-2b7f0c9e8d41'

let sim: PanelSim | undefined
let gateway: HttpPanelGateway | undefined

afterEach(async () => {
  gateway?.close()
  gateway = undefined
  await sim?.close()
  sim = undefined
})

async function start(
  fixture = sampleFixture(),
): Promise<{ sim: PanelSim; panel: HttpPanelGateway }> {
  sim = await startPanelSim({ fixture })
  gateway = new HttpPanelGateway({
    baseUrl: sim.url,
    tokenId: TOKEN_ID,
    token: TOKEN,
    timeoutMs: 10_000,
    userAgentVersion: '1.11.11',
    retry: { initialIntervalMs: 5, maxIntervalMs: 20, maxElapsedMs: 2_000 },
  })
  return { sim, panel: gateway }
}

describe('HttpPanelGateway against panel-sim', () => {
  it('loads 120 servers over three pages: page 0, then pages 2 and 3', async () => {
    const { sim, panel } = await start({ ...sampleFixture(), servers: makeServers(120) })

    const entries = await panel.listServers({ perPage: 50 })

    expect(entries.filter((e) => 'error' in e)).toEqual([])
    expect(entries.map((e) => e.uuid).sort()).toEqual(
      sim
        .servers()
        .map((s) => s.uuid)
        .sort(),
    )
    const pages = sim.callsTo('/api/remote/servers', 'GET').map((c) => c.query)
    expect(pages[0]).toEqual({ page: '0', per_page: '50' })
    expect(
      pages
        .slice(1)
        .map((q) => q.page)
        .sort(),
    ).toEqual(['2', '3'])
  })

  it('reads the server configuration the Panel builds from the egg', async () => {
    const { sim, panel } = await start()

    const config = await panel.getServerConfiguration(SERVER)

    expect(config).toEqual(parseServerConfiguration(sim.serverConfiguration(SERVER)))
    expect(config.settings.allocations.default).toEqual({ ip: '127.0.0.1', port: 25565 })
    expect(config.process.startup.done).toEqual([')! For help, type '])
    expect(config.process.configs[0]?.replace).toContainEqual({
      match: 'server-port',
      ifValue: undefined,
      replaceWith: '25565',
    })
    expect(serverConfigurationToWire(config)).toMatchObject({
      uuid: SERVER,
      labels: null,
      allocations: { mappings: { '127.0.0.1': [25565] } },
      build: { memory_limit: 256, threads: '' },
      container: { image: SAMPLE_IMAGE },
    })
  })

  it('turns the Panel 404 for an unknown server into NotFoundError', async () => {
    const { panel } = await start()

    const failure = await panel
      .getServerConfiguration('00000000-0000-4000-8000-000000000000')
      .catch((err: unknown) => err)

    expect(isDaemonError(failure) && failure.code).toBe('NOT_FOUND')
  })

  it('fetches the install script with Unix line endings and reports the result', async () => {
    const { sim, panel } = await start()

    const script = await panel.getInstallationScript(SERVER)
    await panel.setInstallationStatus(SERVER, { successful: false, reinstall: false })

    expect(script.script).toContain('#!/bin/ash\n# Sample installation script\n')
    expect(script.script).not.toContain('\r')
    expect(sim.server(SERVER).status).toBe('install_failed')
  })

  it('retries the failures the Panel injects and then succeeds', async () => {
    const { sim, panel } = await start()
    sim.failNext({ path: '/api/remote/servers/reset', status: 502, times: 2 })
    sim.failNext({ path: `/api/remote/servers/${SERVER}`, drop: true, times: 1 })

    await panel.resetServerStates()
    await panel.getServerConfiguration(SERVER)

    expect(sim.callsTo('/api/remote/servers/reset').map((c) => [c.status, c.rawBody])).toEqual([
      [502, 'null'],
      [502, 'null'],
      [204, 'null'],
    ])
    expect(sim.callsTo(`/api/remote/servers/${SERVER}`)).toHaveLength(2)
  })

  it('gets the 409 of a transfer that does not exist at once', async () => {
    const { sim, panel } = await start()

    const failure = await panel.setTransferStatus(SERVER, false).catch((err: unknown) => err)

    expect(failure).toBeInstanceOf(PanelCallError)
    expect((failure as Error).message).toContain(
      'Error response from Panel: ConflictHttpException: Server is not being transferred. (HTTP/409)',
    )
    expect(sim.callsTo(`/api/remote/servers/${SERVER}/transfer/failure`)).toHaveLength(1)
  })

  it('validates SFTP passwords: the right one logs in, a wrong one is denied', async () => {
    const { panel } = await start()
    const request = {
      type: 'password' as const,
      username: 'admin.d3aac109',
      password: 'password',
      ip: '127.0.0.1:50000',
      sessionId: Buffer.from('session'),
      clientVersion: Buffer.from('SSH-2.0-OpenSSH_9.2'),
    }

    const result = await panel.validateSftpCredentials(request)
    const denied = await panel
      .validateSftpCredentials({ ...request, password: 'wrong' })
      .catch((err: unknown) => err)

    expect(result).toMatchObject({ user: ADMIN, server: SERVER })
    expect(result.permissions).toContain('*')
    expect(isDaemonError(denied) && denied.code).toBe('DENIED')
  })

  it('sends activity the Panel stores', async () => {
    const { sim, panel } = await start()

    await panel.sendActivity([
      {
        user: ADMIN,
        server: SERVER,
        event: 'server:console.command',
        metadata: { command: 'say hi' },
        ip: '203.0.113.7',
        timestamp: '2024-03-17T20:58:30.123456789Z',
      },
    ])

    expect(sim.activity().filter((a) => a.source === 'daemon')).toEqual([
      expect.objectContaining({ event: 'server:console.command' }),
    ])
  })

  it('rejects with INVALID, without retrying, when the Panel refuses the batch as invalid', async () => {
    const { sim, panel } = await start()

    const failure = await panel
      .sendActivity([
        {
          user: ADMIN,
          server: SERVER,
          event: 'server:console.command',
          metadata: { command: 'say hi' },
          ip: 'not an address',
          timestamp: '2024-03-17T20:58:30Z',
        },
      ])
      .catch((err: unknown) => err)

    expect(isDaemonError(failure) && failure.code).toBe('INVALID')
    expect((failure as Error).message).toContain('data.0.ip')
    expect(sim.callsTo('/api/remote/activity')).toHaveLength(1)
  })

  it('is refused at once with wrong credentials', async () => {
    const { sim } = await start()
    const wrong = new HttpPanelGateway({
      baseUrl: sim.url,
      tokenId: TOKEN_ID,
      token: 'not-the-token',
      timeoutMs: 10_000,
      userAgentVersion: '1.11.11',
    })

    const failure = await wrong.resetServerStates().catch((err: unknown) => err)
    wrong.close()

    expect((failure as PanelCallError).status).toBe(403)
    expect(sim.callsTo('/api/remote/servers/reset')).toHaveLength(1)
  })
})

describe('fetchNodeConfiguration against panel-sim', () => {
  it('fetches the configuration the Panel generates for the node', async () => {
    const { sim } = await start()

    const configuration = await fetchNodeConfiguration({
      panelUrl: sim.url,
      apiKey: sim.applicationApiKey,
      nodeId: 1,
    })

    expect(configuration).toEqual(JSON.parse(JSON.stringify(sim.nodeConfiguration(1))))
  })

  it('refuses a wrong API key with the spec message', async () => {
    const { sim } = await start()

    const failure = await fetchNodeConfiguration({
      panelUrl: sim.url,
      apiKey: 'ptla_wrong',
      nodeId: 1,
    }).catch((err: unknown) => err)

    expect((failure as Error).message).toBe(
      'The authentication credentials provided were not valid.',
    )
  })
})
