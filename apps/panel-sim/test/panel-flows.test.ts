import { afterEach, describe, expect, it } from 'vitest'

import { sampleFixture, startPanelSim, type PanelSim } from '@node/panel-sim'

import { json, startFakeDaemon, type FakeDaemon } from './support/fake-daemon.js'
import { wings } from './support/wings.js'

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'

let sim: PanelSim | undefined
const daemons: FakeDaemon[] = []

afterEach(async () => {
  await sim?.close()
  sim = undefined
  await Promise.all(daemons.splice(0).map((d) => d.close()))
})

async function simWithDaemon(extra: Parameters<typeof startPanelSim>[0] = {}): Promise<FakeDaemon> {
  const daemon = await startFakeDaemon()
  daemons.push(daemon)
  sim = await startPanelSim({ fixture: sampleFixture(), node: { daemonUrl: daemon.url }, ...extra })
  return daemon
}

describe('Panel flows driving a daemon', () => {
  it('creates a server while serving the daemon’s configuration fetch inside the request (F.2)', async () => {
    const daemon = await simWithDaemon()
    daemon.handle(async (call, res) => {
      const { uuid } = JSON.parse(call.body.toString()) as { uuid: string }
      const config = await wings(sim!, 'GET', `/servers/${uuid}`)
      res.writeHead(config.status === 200 ? 202 : 500, { 'X-Request-Id': 'r' })
      res.end()
    })

    const created = await sim!.createServer({ name: 'New' }, { startOnCompletion: true })

    expect(created.ok).toBe(true)
    expect(created.response.status).toBe(202)
    expect(JSON.parse(daemon.calls[0]!.body.toString())).toEqual({
      uuid: created.value!.uuid,
      start_on_completion: true,
    })
    expect(sim!.server(created.value!.uuid).status).toBe('installing')
    expect(sim!.callsTo(`/api/remote/servers/${created.value!.uuid}`)).toHaveLength(1)

    await wings(sim!, 'POST', `/servers/${created.value!.uuid}/install`, {
      successful: true,
      reinstall: false,
    })

    expect(sim!.server(created.value!.uuid).status).toBeNull()
  })

  it('deletes the new server again when the daemon refuses the create', async () => {
    const daemon = await simWithDaemon()
    daemon.handle((call, res) =>
      call.method === 'POST'
        ? json(res, 500, { error: 'boom' })
        : json(res, 404, { error: 'gone' }),
    )

    const created = await sim!.createServer({ name: 'New' })

    expect(created.ok).toBe(false)
    expect(created.response.panelError?.status).toBe(500)
    expect(daemon.calls.map((c) => c.method)).toEqual(['POST', 'DELETE'])
    expect(sim!.servers().map((s) => s.name)).toEqual(['Sample'])
  })

  it('reverts a suspension the daemon did not accept, and keeps one it did', async () => {
    const daemon = await simWithDaemon()
    daemon.handle((_, res) => json(res, 500, { error: 'x' }))

    const refused = await sim!.suspendServer(SERVER)
    daemon.handle((_, res) => {
      res.writeHead(204)
      res.end()
    })
    const accepted = await sim!.suspendServer(SERVER)

    expect(refused.ok).toBe(false)
    expect(accepted.ok).toBe(true)
    expect(sim!.server(SERVER).status).toBe('suspended')
    expect(daemon.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      `POST /api/servers/${SERVER}/sync`,
      `POST /api/servers/${SERVER}/sync`,
    ])
  })

  it('runs a local backup: row created, request sent, the daemon’s report stored (F.6)', async () => {
    const daemon = await simWithDaemon()

    const started = await sim!.createBackup(SERVER, { ignore: '*.log\n\nworld/' })
    const backup = started.value!
    const reported = await wings(sim!, 'POST', `/backups/${backup.uuid}`, {
      checksum: '2fd4e1c67a2d28fced849ee1bb76e7391b93eb12',
      checksum_type: 'sha1',
      size: 1024,
      successful: true,
      parts: null,
    })
    const again = await wings(sim!, 'POST', `/backups/${backup.uuid}`, { successful: false })

    expect(JSON.parse(daemon.calls[0]!.body.toString())).toEqual({
      adapter: 'wings',
      uuid: backup.uuid,
      ignore: '*.log\nworld/',
    })
    expect(reported.status).toBe(204)
    expect(sim!.backup(backup.uuid)).toMatchObject({
      isSuccessful: true,
      checksum: 'sha1:2fd4e1c67a2d28fced849ee1bb76e7391b93eb12',
      bytes: 1024,
    })
    expect(sim!.backup(backup.uuid).completedAt).not.toBeNull()
    expect(again.status).toBe(400)
    expect(again.json).toEqual({
      errors: [
        {
          code: 'BadRequestHttpException',
          status: '400',
          detail: 'Cannot update the status of a backup that is already marked as completed.',
        },
      ],
    })
    expect(sim!.activity().map((a) => a.event)).toContain('server:backup.complete')
  })

  it('restores a backup: status restoring, then cleared by the daemon’s report (F.8)', async () => {
    const daemon = await simWithDaemon()
    const backup = sim!.addBackup(SERVER, { isSuccessful: true, checksum: 'sha1:x', bytes: 5 })

    const started = await sim!.restoreBackup(SERVER, backup.uuid, { truncate: true })
    const statusDuring = sim!.server(SERVER).status
    const reported = await wings(sim!, 'POST', `/backups/${backup.uuid}/restore`, {
      successful: false,
    })

    expect(started.ok).toBe(true)
    expect(JSON.parse(daemon.calls[0]!.body.toString())).toEqual({
      adapter: 'wings',
      truncate_directory: true,
      download_url: '',
    })
    expect(statusDuring).toBe('restoring_backup')
    expect(reported.status).toBe(204)
    expect(sim!.server(SERVER).status).toBeNull()
    expect(sim!.activity().at(-1)!.event).toBe('server.backup.restore-failed')
  })

  it('transfers a server: source gets the body, success switches node and deletes on the old one (F.9)', async () => {
    const source = await startFakeDaemon()
    const target = await startFakeDaemon()
    daemons.push(source, target)
    sim = await startPanelSim({
      fixture: {
        ...sampleFixture(),
        nodes: [
          { ...sampleFixture().nodes![0]!, daemonUrl: source.url },
          { id: 2, daemonUrl: target.url, tokenId: 'node2', token: 'node2-token' },
        ],
      },
    })

    const started = await sim.transferServer(SERVER, {
      node: 2,
      allocation: { ip: '127.0.0.1', port: 30500 },
    })
    const body = JSON.parse(source.calls[0]!.body.toString()) as {
      url: string
      token: string
      server_id: string
    }
    const during = (await wings(sim, 'GET', `/servers/${SERVER}`, undefined, 2)).json as {
      settings: { allocations: { default: unknown } }
    }
    const success = await wings(sim, 'POST', `/servers/${SERVER}/transfer/success`, null, 2)
    const twice = await wings(sim, 'POST', `/servers/${SERVER}/transfer/success`, null, 2)

    expect(started.ok).toBe(true)
    expect(body.url).toBe(`${target.url}/api/transfers`)
    expect(body.token.startsWith('Bearer ey')).toBe(true)
    expect(body.server_id).toBe(SERVER)
    expect(during.settings.allocations.default).toEqual({ ip: '127.0.0.1', port: 25565 })
    expect(success.status).toBe(204)
    expect(sim.server(SERVER).nodeId).toBe(2)
    expect(sim.serverConfiguration(SERVER).settings['allocations']).toMatchObject({
      default: { ip: '127.0.0.1', port: 30500 },
    })
    expect(source.calls.map((c) => `${c.method} ${c.url}`)).toContain(
      `DELETE /api/servers/${SERVER}`,
    )
    expect(sim.transfers()[0]!.successful).toBe(true)
    expect(twice.status).toBe(409)
    expect(twice.json).toEqual({
      errors: [
        {
          code: 'ConflictHttpException',
          status: '409',
          detail: 'Server is not being transferred.',
        },
      ],
    })
  })

  it('releases the reserved allocations when a transfer fails', async () => {
    await simWithDaemon()
    sim!.addNode({ id: 2, daemonUrl: 'http://127.0.0.1:1', tokenId: 'n2', token: 't2' })

    await sim!.transferServer(SERVER, { node: 2 })
    const failed = await wings(sim!, 'POST', `/servers/${SERVER}/transfer/failure`, null)

    expect(failed.status).toBe(204)
    expect(sim!.server(SERVER).nodeId).toBe(1)
    expect(sim!.allocations().filter((a) => a.nodeId === 2 && a.serverId !== null)).toEqual([])
    expect(sim!.transfers()[0]!.successful).toBe(false)
  })

  it('posts the md5 JTI of a user to ws/deny', async () => {
    const daemon = await simWithDaemon()

    await sim!.revokeUserAccess(SERVER, 1)

    expect(JSON.parse(daemon.calls[0]!.body.toString())).toEqual({
      jtis: ['c1316342d757b260c788be5a88e57234'],
    })
  })

  it('sends its node configuration to /api/update', async () => {
    const daemon = await simWithDaemon({ appUrl: 'https://panel.example.com' })

    await sim!.daemon().updateConfiguration(sim!.nodeConfiguration())

    expect(daemon.calls[0]!.body.toString()).toContain('"remote":"https:\\/\\/panel.example.com"')
  })
})
