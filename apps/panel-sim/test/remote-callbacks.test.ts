import { generateKeyPairSync } from 'node:crypto'

import { afterEach, describe, expect, it } from 'vitest'

import { sampleFixture, startPanelSim, type Fixture, type PanelSim } from '@node/panel-sim'

import { wings } from './support/wings.js'

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'

let sim: PanelSim | undefined

afterEach(async () => {
  await sim?.close()
  sim = undefined
})

/** An OpenSSH `ssh-ed25519` public key line, built from a fresh key pair. */
function ed25519Line(): string {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' })
  const raw = der.subarray(der.length - 32)
  const type = Buffer.from('ssh-ed25519')
  const blob = Buffer.concat([u32(type.length), type, u32(raw.length), raw])
  return `ssh-ed25519 ${blob.toString('base64')} test@host\n`
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

const KEY = ed25519Line()

const SFTP: Fixture = {
  ...sampleFixture(),
  users: [
    ...sampleFixture().users!,
    { id: 2, username: 'alice', password: 'secret', sshKeys: [KEY.trim()] },
    { id: 3, username: 'bob.smith', password: 'pw' },
    { id: 4, username: 'carol', password: 'pw' },
  ],
  servers: [
    {
      ...sampleFixture().servers![0]!,
      owner: 2,
      subusers: [
        { user: 3, permissions: ['file.sftp', 'file.read'] },
        { user: 4, permissions: ['file.read'] },
      ],
    },
    { uuid: '22222222-2222-4222-8222-222222222222', owner: 2, suspended: true },
    { uuid: '33333333-3333-4333-8333-333333333333', owner: 2, status: 'installing' },
  ],
}

const sftp = (body: Record<string, unknown>) =>
  wings(sim!, 'POST', '/sftp/auth', {
    type: 'password',
    ip: '203.0.113.5:51234',
    session_id: 'AAAA',
    client_version: 'U1NILTIuMA==',
    ...body,
  })

describe('SFTP authentication (R8)', () => {
  it('accepts the owner’s password and returns user, server and permissions', async () => {
    sim = await startPanelSim({ fixture: SFTP })

    const res = await sftp({ username: 'alice.d3aac109', password: 'secret' })

    expect(res.status).toBe(200)
    expect(res.json).toEqual({ user: sim.users()[1]!.uuid, server: SERVER, permissions: ['*'] })
  })

  it('splits at the last dot, so usernames may contain dots, and accepts the full uuid', async () => {
    sim = await startPanelSim({ fixture: SFTP })

    const res = await sftp({ username: `bob.smith.${SERVER}`, password: 'pw' })

    expect(res.status).toBe(200)
    expect((res.json as { permissions: string[] }).permissions).toEqual(['file.sftp', 'file.read'])
  })

  it('accepts a stored public key and refuses an unknown one', async () => {
    sim = await startPanelSim({ fixture: SFTP })

    const known = await sftp({ type: 'public_key', username: 'alice.d3aac109', password: KEY })
    const unknown = await sftp({
      type: 'public_key',
      username: 'alice.d3aac109',
      password: ed25519Line(),
    })

    expect(known.status).toBe(200)
    expect(unknown.status).toBe(403)
  })

  it('answers the Panel’s 4xx for each refusal', async () => {
    sim = await startPanelSim({ fixture: SFTP })

    const noServer = await sftp({ username: 'alice.', password: 'secret' })
    const wrong = await sftp({ username: 'alice.d3aac109', password: 'nope' })
    const noPermission = await sftp({ username: 'carol.d3aac109', password: 'pw' })
    const suspended = await sftp({ username: 'alice.22222222', password: 'secret' })
    const installing = await sftp({ username: 'alice.33333333', password: 'secret' })
    const invalid = await sftp({ type: 'keyboard', username: '', password: 'x' })

    expect(noServer.json).toEqual({
      errors: [
        {
          code: 'BadRequestHttpException',
          status: '400',
          detail: 'No valid server identifier was included in the request.',
        },
      ],
    })
    expect(wrong.json).toEqual({
      errors: [
        {
          code: 'HttpForbiddenException',
          status: '403',
          detail: 'Authorization credentials were not correct, please try again.',
        },
      ],
    })
    expect(noPermission.json).toEqual({
      errors: [
        {
          code: 'HttpForbiddenException',
          status: '403',
          detail: 'You do not have permission to access SFTP for this server.',
        },
      ],
    })
    expect(suspended.json).toEqual({
      errors: [
        {
          code: 'ServerStateConflictException',
          status: '409',
          detail:
            'This server is currently suspended and the functionality requested is unavailable.',
        },
      ],
    })
    expect(installing.status).toBe(409)
    expect(invalid.status).toBe(422)
    expect(
      (invalid.json as { errors: { meta: { source_field: string } }[] }).errors.map(
        (e) => e.meta.source_field,
      ),
    ).toEqual(['type', 'username'])
    expect(sim.activity().map((a) => a.event)).toEqual(['auth:sftp.fail', 'server:sftp.denied'])
  })

  it('throttles after five failures for the same server and address', async () => {
    sim = await startPanelSim({ fixture: SFTP })

    const statuses: number[] = []
    for (let i = 0; i < 6; i++)
      statuses.push((await sftp({ username: 'alice.d3aac109', password: 'nope' })).status)
    const throttled = await sftp({ username: 'alice.D3AAC109', password: 'secret' })

    expect(statuses).toEqual([403, 403, 403, 403, 403, 429])
    expect(throttled.status).toBe(429)
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((throttled.json as { errors: { detail: string }[] }).errors[0]!.detail).toMatch(
      /^Too many login attempts for this account, please try again in \d+ seconds\.$/,
    )
  })

  it('refuses a server of another node as bad credentials', async () => {
    sim = await startPanelSim({
      fixture: { ...SFTP, nodes: [...SFTP.nodes!, { id: 2, tokenId: 'n2', token: 't2' }] },
    })

    const res = await wings(
      sim,
      'POST',
      '/sftp/auth',
      { type: 'password', username: 'alice.d3aac109', password: 'secret' },
      2,
    )

    expect(res.status).toBe(403)
  })
})

describe('activity (R9)', () => {
  it('stores server events of the calling node and drops the rest, answering 200 with an empty body', async () => {
    sim = await startPanelSim({ fixture: SFTP })
    const alice = sim.users()[1]!.uuid

    const res = await wings(sim, 'POST', '/activity', {
      data: [
        {
          user: alice,
          server: SERVER,
          event: 'server:console.command',
          metadata: { command: 'say hi' },
          ip: '203.0.113.5',
          timestamp: '2024-01-15T10:30:00.123456789Z',
        },
        {
          user: null,
          server: SERVER,
          event: 'server:sftp.delete',
          metadata: { files: ['/a'] },
          ip: '',
          timestamp: 'yesterday',
        },
        {
          user: null,
          server: SERVER,
          event: 'auth:oops',
          metadata: {},
          timestamp: '2024-01-15T10:30:00Z',
        },
        {
          user: null,
          server: '99999999-9999-4999-8999-999999999999',
          event: 'server:power.start',
          metadata: {},
          timestamp: '2024-01-15T10:30:00Z',
        },
      ],
    })

    expect(res.status).toBe(200)
    expect(res.text).toBe('')
    const stored = sim.activity().filter((a) => a.source === 'daemon')
    expect(stored).toHaveLength(2)
    expect(stored[0]).toMatchObject({
      event: 'server:console.command',
      userUuid: alice,
      ip: '203.0.113.5',
      timestamp: '2024-01-15T10:30:00.000Z',
      properties: { command: 'say hi' },
    })
    expect(stored[1]).toMatchObject({
      event: 'server:sftp.delete',
      userUuid: null,
      ip: '127.0.0.1',
      properties: { files: ['/a'], original_timestamp: 'yesterday' },
    })
  })

  it('answers 422 when metadata is missing or the server is not a uuid', async () => {
    sim = await startPanelSim({ fixture: SFTP })

    const res = await wings(sim, 'POST', '/activity', {
      data: [{ server: 'x', event: 'server:a', timestamp: 't' }],
    })

    expect(res.status).toBe(422)
    expect((res.json as { errors: { meta: unknown }[] }).errors.map((e) => e.meta)).toEqual([
      { source_field: 'data.0.server', rule: 'uuid' },
      { source_field: 'data.0.metadata', rule: 'present' },
    ])
  })
})

describe('server state reset (R2)', () => {
  it('clears installing and restoring servers of the calling node only', async () => {
    sim = await startPanelSim({
      fixture: {
        ...SFTP,
        servers: [
          ...SFTP.servers!,
          { uuid: '44444444-4444-4444-8444-444444444444', status: 'restoring_backup' },
          { uuid: '55555555-5555-4555-8555-555555555555', status: 'install_failed' },
        ],
      },
    })

    const res = await wings(sim, 'POST', '/servers/reset', null)

    expect(res.status).toBe(204)
    expect(sim.servers().map((s) => s.status)).toEqual([
      null,
      'suspended',
      null,
      null,
      'install_failed',
    ])
  })
})

describe('backup routes (R10, R11)', () => {
  it('hands out one part URL per part of an S3 backup', async () => {
    sim = await startPanelSim({
      fixture: SFTP,
      backupDriver: 's3',
      partSize: 100,
      s3: { baseUrl: 'http://127.0.0.1:4569/backups' },
    })
    const backup = sim.addBackup(SERVER, {})

    const res = await wings(sim, 'GET', `/backups/${backup.uuid}?size=250`)

    const body = res.json as { parts: string[]; part_size: number }
    expect(res.status).toBe(200)
    expect(body.part_size).toBe(100)
    expect(body.parts).toHaveLength(3)
    expect(body.parts[2]).toMatch(
      new RegExp(
        `^http://127.0.0.1:4569/backups/${SERVER}/${backup.uuid}.tar.gz\\?partNumber=3&uploadId=`,
      ),
    )
    expect(res.text).toContain('http:\\/\\/127.0.0.1')
    expect(sim.backup(backup.uuid).uploadId).not.toBeNull()
  })

  it('answers R10’s errors in the Panel’s order', async () => {
    sim = await startPanelSim({
      fixture: { ...SFTP, nodes: [...SFTP.nodes!, { id: 2, tokenId: 'n2', token: 't2' }] },
      log: () => undefined,
    })
    const done = sim.addBackup(SERVER, { isSuccessful: true })
    const open = sim.addBackup(SERVER, {})

    const noSize = await wings(sim, 'GET', `/backups/${open.uuid}?size=abc`)
    const unknown = await wings(sim, 'GET', '/backups/8f14e45f-ceea-467f-a0e6-d8a52b3c4d5e?size=5')
    const otherNode = await wings(sim, 'GET', `/backups/${open.uuid}?size=5`, undefined, 2)
    const completed = await wings(sim, 'GET', `/backups/${done.uuid}?size=5`)
    const notS3 = await wings(sim, 'GET', `/backups/${open.uuid}?size=5`)

    expect([
      noSize.status,
      unknown.status,
      otherNode.status,
      completed.status,
      notS3.status,
    ]).toEqual([400, 404, 500, 409, 400])
    expect((noSize.json as { errors: { detail: string }[] }).errors[0]!.detail).toBe(
      'A non-empty "size" query parameter must be provided.',
    )
    expect((unknown.json as { errors: { detail: string }[] }).errors[0]!.detail).toBe(
      'The requested resource could not be found on the server.',
    )
    expect((notS3.json as { errors: { detail: string }[] }).errors[0]!.detail).toBe(
      'The configured backup adapter is not an S3 compatible adapter.',
    )
  })

  it('validates R11 before looking the backup up, and refuses other nodes', async () => {
    sim = await startPanelSim({
      fixture: { ...SFTP, nodes: [...SFTP.nodes!, { id: 2, tokenId: 'n2', token: 't2' }] },
    })
    const open = sim.addBackup(SERVER, {})

    const invalid = await wings(sim, 'POST', '/backups/8f14e45f-ceea-467f-a0e6-d8a52b3c4d5e', {
      successful: true,
    })
    const otherNode = await wings(sim, 'POST', `/backups/${open.uuid}`, { successful: false }, 2)
    const failure = await wings(sim, 'POST', `/backups/${open.uuid}`, {
      checksum: '',
      checksum_type: '',
      size: 0,
      successful: false,
      parts: null,
    })

    expect(invalid.status).toBe(422)
    expect(
      (invalid.json as { errors: { meta: { source_field: string } }[] }).errors.map(
        (e) => e.meta.source_field,
      ),
    ).toEqual(['checksum', 'checksum_type', 'size'])
    expect(otherNode.status).toBe(403)
    expect(failure.status).toBe(204)
    expect(sim.backup(open.uuid)).toMatchObject({ isSuccessful: false, checksum: null, bytes: 0 })
    expect(sim.backup(open.uuid).completedAt).not.toBeNull()
  })

  it('refuses to complete an S3 backup that has no upload id', async () => {
    sim = await startPanelSim({ fixture: SFTP, backupDriver: 's3' })
    const open = sim.addBackup(SERVER, {})

    const res = await wings(sim, 'POST', `/backups/${open.uuid}`, {
      checksum: 'a',
      checksum_type: 'sha1',
      size: 1,
      successful: true,
      parts: [],
    })

    expect(res.status).toBe(400)
    expect((res.json as { errors: { detail: string }[] }).errors[0]!.detail).toBe(
      'Cannot complete backup request: no upload_id present on model.',
    )
    expect(sim.backup(open.uuid).isSuccessful).toBe(false)
  })
})
