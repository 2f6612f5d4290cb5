import { createHash } from 'node:crypto'

import jwt from 'jsonwebtoken'
import { afterEach, describe, expect, it } from 'vitest'

import { startPanelSim, type Fixture, type PanelSim } from '@node/panel-sim'

const NODE1_TOKEN = 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2'
const NODE2_TOKEN = 'N2token0000000000000000000000000000000000000000000000000000000000'
const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const ADMIN_UUID = '5e4c2b8a-7f61-4c1e-9a3d-2b7f0c9e8d41'
/** panel-contract.md B.3. */
const EXAMPLE_TOKEN =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiIsImp0aSI6ImMxMzE2MzQyZDc1N2IyNjBjNzg4YmU1YTg4ZTU3MjM0In0.eyJpc3MiOiJodHRwczovL3BhbmVsLmV4YW1wbGUuY29tIiwiYXVkIjpbImh0dHBzOi8vbm9kZTEuZXhhbXBsZS5jb206ODA4MCJdLCJqdGkiOiJjMTMxNjM0MmQ3NTdiMjYwYzc4OGJlNWE4OGU1NzIzNCIsImlhdCI6MTczNjkzNTIwMCwibmJmIjoxNzM2OTM0OTAwLCJleHAiOjE3MzY5MzU4MDAsInNlcnZlcl91dWlkIjoiZDNhYWMxMDktZTVlMC00MzMxLWIwM2UtMzQ1NGY3ZTEzNmRjIiwicGVybWlzc2lvbnMiOlsiKiIsImFkbWluLndlYnNvY2tldC5lcnJvcnMiLCJhZG1pbi53ZWJzb2NrZXQuaW5zdGFsbCIsImFkbWluLndlYnNvY2tldC50cmFuc2ZlciJdLCJ1c2VyX3V1aWQiOiI1ZTRjMmI4YS03ZjYxLTRjMWUtOWEzZC0yYjdmMGM5ZThkNDEiLCJ1c2VyX2lkIjoxLCJ1bmlxdWVfaWQiOiJhQjNkRTVmRzdoSjlrTDFtIn0.pXU-stkvjEQ4asCzSj284WTBtTfZm0TDpcNJWnkj03Y'

const FIXTURE: Fixture = {
  appUrl: 'https://panel.example.com',
  nodes: [
    {
      daemonUrl: 'https://node1.example.com:8080',
      tokenId: 'Q0mVwY8pXb3Kc7Rt',
      token: NODE1_TOKEN,
    },
    {
      daemonUrl: 'https://node2.example.com:8080',
      tokenId: 'node2tokenid0000',
      token: NODE2_TOKEN,
    },
  ],
  users: [
    { id: 1, uuid: ADMIN_UUID, username: 'admin', rootAdmin: true },
    { id: 2, uuid: '0f8fad5b-d9cb-469f-a165-70867728950e', username: 'owner' },
    { id: 3, uuid: '7c9e6679-7425-40de-944b-e07fc1f90ae7', username: 'helper' },
  ],
  servers: [
    {
      uuid: SERVER,
      owner: 2,
      subusers: [{ user: 3, permissions: ['websocket.connect', 'control.console'] }],
    },
  ],
}

let sim: PanelSim | undefined

afterEach(async () => {
  await sim?.close()
  sim = undefined
})

const segments = (token: string) => token.split('.')
const decodePart = (part: string) =>
  JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>

describe('JWT issuing (B)', () => {
  it('reproduces the worked example of B.3: same payload bytes, valid HS256 signature', async () => {
    sim = await startPanelSim({ fixture: FIXTURE, panelVersion: '1.11' })

    const issued = sim.tokens.websocket(
      { server: SERVER, user: 1 },
      { now: 1736935200, uniqueId: 'aB3dE5fG7hJ9kL1m' },
    )

    expect(segments(issued.token)[1]).toBe(segments(EXAMPLE_TOKEN)[1])
    expect(decodePart(segments(issued.token)[0]!)).toEqual(decodePart(segments(EXAMPLE_TOKEN)[0]!))
    expect(
      jwt.verify(issued.token, NODE1_TOKEN, { algorithms: ['HS256'], ignoreExpiration: true }),
    ).toEqual(
      jwt.verify(EXAMPLE_TOKEN, NODE1_TOKEN, { algorithms: ['HS256'], ignoreExpiration: true }),
    )
    expect(issued.socket).toBe(`wss://node1.example.com:8080/api/servers/${SERVER}/ws`)
  })

  it('mints a fresh unique_id and integer timestamps with nbf five minutes back', async () => {
    sim = await startPanelSim({ fixture: FIXTURE })

    const a = jwt.verify(
      sim.tokens.fileUpload({ server: SERVER }).token,
      NODE1_TOKEN,
    ) as jwt.JwtPayload
    const b = jwt.verify(
      sim.tokens.fileUpload({ server: SERVER }).token,
      NODE1_TOKEN,
    ) as jwt.JwtPayload

    expect(a.unique_id).toMatch(/^[A-Za-z0-9]{16}$/)
    expect(a.unique_id).not.toBe(b.unique_id)
    expect(Number.isInteger(a.iat)).toBe(true)
    expect(a.nbf).toBe(a.iat! - 300)
    expect(a.exp).toBe(a.iat! + 900)
  })

  it('writes each kind’s claims in the Panel’s order', async () => {
    sim = await startPanelSim({ fixture: FIXTURE, panelVersion: '1.11' })

    const keys = (token: string) => Object.keys(decodePart(segments(token)[1]!))

    expect(keys(sim.tokens.websocket({ server: SERVER }).token)).toEqual([
      'iss',
      'aud',
      'jti',
      'iat',
      'nbf',
      'exp',
      'server_uuid',
      'permissions',
      'user_uuid',
      'user_id',
      'unique_id',
    ])
    expect(keys(sim.tokens.fileDownload({ server: SERVER, file: '/a' }).token)).toEqual([
      'iss',
      'aud',
      'jti',
      'iat',
      'nbf',
      'exp',
      'file_path',
      'server_uuid',
      'user_uuid',
      'user_id',
      'unique_id',
    ])
    expect(keys(sim.tokens.fileUpload({ server: SERVER }).token)).toEqual([
      'iss',
      'aud',
      'jti',
      'iat',
      'nbf',
      'exp',
      'server_uuid',
      'user_uuid',
      'user_id',
      'unique_id',
    ])
    expect(
      keys(
        sim.tokens.backupDownload({
          server: SERVER,
          backup: '8f14e45f-ceea-467f-a0e6-d8a52b3c4d5e',
        }).token,
      ),
    ).toEqual([
      'iss',
      'aud',
      'jti',
      'iat',
      'nbf',
      'exp',
      'backup_uuid',
      'server_uuid',
      'user_uuid',
      'user_id',
      'unique_id',
    ])
    expect(keys(sim.tokens.transfer({ server: SERVER, targetNode: 2 }).token)).toEqual([
      'iss',
      'aud',
      'jti',
      'iat',
      'nbf',
      'exp',
      'sub',
      'unique_id',
    ])
  })

  it('signs transfer tokens with the target node’s key, sub in header and payload', async () => {
    sim = await startPanelSim({ fixture: FIXTURE })

    const issued = sim.tokens.transfer({ server: SERVER, targetNode: 2 })

    const claims = jwt.verify(issued.token, NODE2_TOKEN, {
      algorithms: ['HS256'],
    }) as jwt.JwtPayload
    expect(claims).toMatchObject({
      jti: '32756779863fce5ce6ab009f5798a6f55235a794679670b3d010cf200121671a',
      sub: SERVER,
      aud: ['https://node2.example.com:8080'],
      iss: 'https://panel.example.com',
    })
    expect(decodePart(segments(issued.token)[0]!)).toMatchObject({ sub: SERVER, jti: claims.jti })
    expect(issued.authorization).toBe(`Bearer ${issued.token}`)
    expect(issued.url).toBe('https://node2.example.com:8080/api/transfers')
    expect(() => jwt.verify(issued.token, NODE1_TOKEN)).toThrow('invalid signature')
  })

  it('grants * to the owner, the admin set to root admins and the stored list to subusers', async () => {
    sim = await startPanelSim({ fixture: FIXTURE })

    const permissions = (user: number) =>
      (jwt.decode(sim!.tokens.websocket({ server: SERVER, user }).token) as jwt.JwtPayload)
        .permissions as string[]

    expect(permissions(2)).toEqual(['*'])
    expect(permissions(1)).toEqual([
      '*',
      'admin.websocket.errors',
      'admin.websocket.install',
      'admin.websocket.transfer',
    ])
    expect(permissions(3)).toEqual(['websocket.connect', 'control.console'])
  })

  it('uses md5(user id . server uuid) as jti for user tokens', async () => {
    sim = await startPanelSim({ fixture: FIXTURE, panelVersion: '1.11' })

    const claims = jwt.decode(
      sim.tokens.fileUpload({ server: SERVER, user: 3 }).token,
    ) as jwt.JwtPayload

    expect(claims.jti).toBe(createHash('md5').update(`3${SERVER}`).digest('hex'))
  })

  it('URL-decodes the file path once more, as the Panel does', async () => {
    sim = await startPanelSim({ fixture: FIXTURE })

    const claims = jwt.decode(
      sim.tokens.fileDownload({ server: SERVER, file: '/my%20world/a+b.txt' }).token,
    ) as jwt.JwtPayload

    expect(claims.file_path).toBe('/my world/a+b.txt')
  })

  it('adds scope, a sha256 jti and no user_id in the 1.12 format, the default', async () => {
    sim = await startPanelSim({ fixture: FIXTURE })

    const claims = jwt.verify(
      sim.tokens.fileDownload({ server: SERVER, user: 2, file: '/x' }).token,
      NODE1_TOKEN,
    ) as jwt.JwtPayload

    expect(Object.keys(claims)).toEqual([
      'iss',
      'aud',
      'jti',
      'iat',
      'nbf',
      'exp',
      'file_path',
      'server_uuid',
      'scope',
      'user_uuid',
      'unique_id',
    ])
    expect(claims.scope).toBe('file-download')
    expect(claims.jti).toBe(createHash('sha256').update(`2${SERVER}`).digest('hex'))
  })

  describe('tampering', () => {
    it('issues expired and not-yet-valid tokens', async () => {
      sim = await startPanelSim({ fixture: FIXTURE })

      const expired = sim.tokens.websocket({ server: SERVER }, { tamper: { expired: true } }).token
      const early = sim.tokens.websocket(
        { server: SERVER },
        { tamper: { notYetValid: true } },
      ).token

      expect(() => jwt.verify(expired, NODE1_TOKEN)).toThrow(jwt.TokenExpiredError)
      expect(() => jwt.verify(early, NODE1_TOKEN)).toThrow(jwt.NotBeforeError)
    })

    it('signs with another key, or not at all', async () => {
      sim = await startPanelSim({ fixture: FIXTURE })

      const wrong = sim.tokens.websocket({ server: SERVER }, { tamper: { wrongKey: true } }).token
      const own = sim.tokens.websocket({ server: SERVER }, { tamper: { key: 'mine' } }).token
      const none = sim.tokens.websocket({ server: SERVER }, { tamper: { algorithm: 'none' } }).token

      expect(() => jwt.verify(wrong, NODE1_TOKEN)).toThrow('invalid signature')
      expect(jwt.verify(own, 'mine')).toBeTruthy()
      expect(none.endsWith('.')).toBe(true)
      expect(decodePart(segments(none)[0]!).alg).toBe('none')
      expect(() => jwt.verify(none, NODE1_TOKEN)).toThrow()
    })

    it('drops the scope of a 1.12 token and replaces or omits claims', async () => {
      sim = await startPanelSim({ fixture: FIXTURE, panelVersion: '1.12' })

      const claims = jwt.verify(
        sim.tokens.websocket(
          { server: SERVER },
          { tamper: { noScope: true, claims: { exp: '9999999999' }, omit: ['iat'] } },
        ).token,
        NODE1_TOKEN,
        { ignoreExpiration: true },
      ) as jwt.JwtPayload

      expect(claims.scope).toBeUndefined()
      expect(claims.iat).toBeUndefined()
      expect(claims.exp).toBe('9999999999')
    })
  })

  it('mints one token in the other format on request', async () => {
    sim = await startPanelSim({ fixture: FIXTURE })

    const old = jwt.decode(
      sim.tokens.websocket({ server: SERVER, user: 2 }, { panelVersion: '1.11' }).token,
    ) as jwt.JwtPayload
    const res = await fetch(`${sim.url}/__sim/tokens/file-upload`, {
      method: 'POST',
      body: JSON.stringify({ server: SERVER, panelVersion: '1.11' }),
    })
    const overApi = jwt.decode(((await res.json()) as { token: string }).token) as jwt.JwtPayload

    expect(old.scope).toBeUndefined()
    expect(old.user_id).toBe(2)
    expect(old.jti).toBe(createHash('md5').update(`2${SERVER}`).digest('hex'))
    expect(overApi.scope).toBeUndefined()
  })

  it('issues tokens over the admin API', async () => {
    sim = await startPanelSim({ fixture: FIXTURE, panelVersion: '1.11' })

    const res = await fetch(`${sim.url}/__sim/tokens/websocket`, {
      method: 'POST',
      body: JSON.stringify({ server: SERVER, user: 'helper', tamper: { expired: true } }),
    })
    const body = (await res.json()) as { token: string; socket: string }

    expect(res.status).toBe(200)
    expect(() => jwt.verify(body.token, NODE1_TOKEN)).toThrow(jwt.TokenExpiredError)
    expect((jwt.decode(body.token) as jwt.JwtPayload).user_id).toBe(3)
    expect(sim.calls).toHaveLength(0)
  })
})
