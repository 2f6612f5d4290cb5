import net from 'node:net'

import { InMemoryPanelGateway } from '@node/server-state/testing'
import { FakeClock } from '@node/shared-kernel/testing'
import { Client } from 'ssh2'
import { describe, expect, it, vi } from 'vitest'

import {
  ADMIN_LOGIN,
  ADMIN_PASSWORD,
  generateClientKey,
  startSimPanel,
  SUBUSER_LOGIN,
  SUBUSER_PASSWORD,
  SUBUSER_UUID,
} from './support/panel.js'
import { PASSWORD, SERVER_UUID, startSftpServer, USERNAME } from './support/sftp-harness.js'
import { connectSftp, connectSsh, type Login } from './support/ssh-client.js'

/** The error ssh2's client gives for a refused login, or 'ok'. */
async function loginResult(port: number, login: Login, localAddress?: string): Promise<string> {
  try {
    const session = await connectSsh(port, login, localAddress ? { localAddress } : {})
    await session.close()
    return 'ok'
  } catch (error) {
    return (error as { level?: string }).level ?? (error as Error).message
  }
}

function sftpAuthCalls(panel: InMemoryPanelGateway): number {
  return panel.calls.filter((call) => call.method === 'validateSftpCredentials').length
}

describe('SFTP login against panel-sim', () => {
  it('logs in with the Panel password and sends the reference body', async () => {
    await using panel = await startSimPanel()
    await using h = await startSftpServer({ panel: panel.gateway })

    await using client = await connectSftp(h.port, {
      username: SUBUSER_LOGIN,
      password: SUBUSER_PASSWORD,
    })

    const call = panel.sim.callsTo('/api/remote/sftp/auth', 'POST')[0]!
    const body = call.body as Record<string, string>
    expect(Object.keys(body)).toEqual([
      'type',
      'username',
      'password',
      'ip',
      'session_id',
      'client_version',
    ])
    expect(body).toMatchObject({
      type: 'password',
      username: SUBUSER_LOGIN,
      password: SUBUSER_PASSWORD,
    })
    expect(body['ip']).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(Buffer.from(body['session_id']!, 'base64').length).toBeGreaterThanOrEqual(32)
    expect(Buffer.from(body['client_version']!, 'base64').toString()).toMatch(/^SSH-2\.0-ssh2js/)
    expect(await client.call.realpath('.')).toBe('/')
  })

  it('logs in with a public key the Panel knows, sent in authorized_keys form', async () => {
    const key = generateClientKey()
    await using panel = await startSimPanel({ key })
    await using h = await startSftpServer({ panel: panel.gateway })

    await using client = await connectSftp(h.port, {
      username: SUBUSER_LOGIN,
      privateKey: key.privateKey,
    })

    const calls = panel.sim.callsTo('/api/remote/sftp/auth', 'POST')
    expect(calls.map((c) => (c.body as Record<string, string>)['type'])).toEqual(['public_key'])
    expect((calls[0]!.body as Record<string, string>)['password']).toBe(`${key.publicKey}\n`)
    expect(await client.call.realpath('/a/../b')).toBe('/b')
  })

  it('refuses a wrong password and a key the Panel does not know, and never logs the secret', async () => {
    await using panel = await startSimPanel({ key: generateClientKey() })
    await using h = await startSftpServer({ panel: panel.gateway })

    expect(
      await loginResult(h.port, { username: SUBUSER_LOGIN, password: 'not-the-password' }),
    ).toBe('client-authentication')
    expect(
      await loginResult(h.port, {
        username: SUBUSER_LOGIN,
        privateKey: generateClientKey().privateKey,
      }),
    ).toBe('client-authentication')

    expect(JSON.stringify(h.logger.records)).not.toContain('not-the-password')
    expect(h.logger.records).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'failed to validate user credentials (invalid username or password)',
      }),
    )
  })

  it('refuses a user the Panel denies SFTP, and a suspended server (409), without retrying', async () => {
    await using panel = await startSimPanel({ permissions: ['file.read'] })
    await using h = await startSftpServer({ panel: panel.gateway })

    expect(await loginResult(h.port, { username: SUBUSER_LOGIN, password: SUBUSER_PASSWORD })).toBe(
      'client-authentication',
    )
    panel.sim.updateServer(SERVER_UUID, { suspended: true })
    expect(await loginResult(h.port, { username: ADMIN_LOGIN, password: ADMIN_PASSWORD })).toBe(
      'client-authentication',
    )

    const statuses = panel.sim.callsTo('/api/remote/sftp/auth', 'POST').map((c) => c.status)
    expect(statuses).toEqual([403, 409])
  })

  it('takes the Panel throttle (429) as a refusal, without retrying', async () => {
    await using panel = await startSimPanel()
    await using h = await startSftpServer({
      panel: panel.gateway,
      limits: { freeLoginFailures: 100 },
    })

    for (let i = 0; i < 6; i++) {
      expect(await loginResult(h.port, { username: SUBUSER_LOGIN, password: `guess-${i}` })).toBe(
        'client-authentication',
      )
    }

    const statuses = panel.sim.callsTo('/api/remote/sftp/auth', 'POST').map((c) => c.status)
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429])
  })

  it('retries a Panel 5xx, then refuses the login with an error log', async () => {
    await using panel = await startSimPanel()
    await using h = await startSftpServer({ panel: panel.gateway })
    panel.sim.failNext({ path: '/api/remote/sftp/auth', status: 502, times: 1000 })

    expect(await loginResult(h.port, { username: ADMIN_LOGIN, password: ADMIN_PASSWORD })).toBe(
      'client-authentication',
    )

    expect(panel.sim.callsTo('/api/remote/sftp/auth', 'POST').length).toBeGreaterThan(1)
    expect(h.logger.records).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'encountered an error while trying to validate user credentials',
      }),
    )
  })

  it('logs in once a retried 5xx is followed by a success', async () => {
    await using panel = await startSimPanel()
    await using h = await startSftpServer({ panel: panel.gateway })
    panel.sim.failNext({ path: '/api/remote/sftp/auth', status: 503, times: 1 })

    expect(await loginResult(h.port, { username: ADMIN_LOGIN, password: ADMIN_PASSWORD })).toBe(
      'ok',
    )
    expect(panel.sim.callsTo('/api/remote/sftp/auth', 'POST').map((c) => c.status)).toEqual([
      503, 200,
    ])
  })

  it('opens no SFTP for a server the Panel names but this node does not have', async () => {
    await using panel = await startSimPanel()
    await using h = await startSftpServer({ panel: panel.gateway, serverUuid: SUBUSER_UUID })

    await expect(
      connectSftp(h.port, { username: ADMIN_LOGIN, password: ADMIN_PASSWORD }),
    ).rejects.toThrow(/subsystem/i)
  })
})

describe('SFTP login, local checks', () => {
  it('refuses a username without the server id without asking the Panel', async () => {
    const panel = new InMemoryPanelGateway()
    await using h = await startSftpServer({ panel })

    for (const username of ['alice', 'alice.d3aac10', 'alice.d3aac109x', '.d3aac109']) {
      expect(await loginResult(h.port, { username, password: PASSWORD })).toBe(
        'client-authentication',
      )
    }

    expect(sftpAuthCalls(panel)).toBe(0)
    expect(h.logger.records.map((r) => r.message)).toContain(
      'failed to validate user credentials (invalid format)',
    )
  })

  it('refuses passwords in key-only mode without asking the Panel', async () => {
    const panel = new InMemoryPanelGateway()
    await using h = await startSftpServer({ panel, keyOnly: true })

    expect(await loginResult(h.port, { username: USERNAME, password: PASSWORD })).toBe(
      'client-authentication',
    )
    expect(sftpAuthCalls(panel)).toBe(0)
  })

  it('closes the connection after six failed attempts', async () => {
    const panel = new InMemoryPanelGateway()
    await using h = await startSftpServer({ panel, limits: { freeLoginFailures: 100 } })
    const client = new Client()
    let tries = 0

    const failure = await new Promise<Error>((resolve) => {
      client.on('error', resolve)
      client.connect({
        host: '127.0.0.1',
        port: h.port,
        username: USERNAME,
        authHandler: (_methods, _partial, next) => {
          tries++
          next({ type: 'password', username: USERNAME, password: `guess-${tries}` })
        },
      })
    })

    expect(failure).toBeInstanceOf(Error)
    expect(sftpAuthCalls(panel)).toBe(6)
    expect(h.logger.records.map((r) => r.fields['reason'])).toContain(
      'too many authentication failures',
    )
    client.end()
  })

  it('slows every attempt from an address that keeps failing, the right password included', async () => {
    const clock = new FakeClock()
    const panel = new InMemoryPanelGateway()
    panel.addSftpUser('bob.d3aac109', { password: 'bob', server: SERVER_UUID, permissions: ['*'] })
    await using h = await startSftpServer({
      panel,
      clock,
      limits: { freeLoginFailures: 2, loginDelayMs: 5_000, maxLoginDelayMs: 20_000 },
    })
    for (const guess of ['a', 'b']) {
      expect(await loginResult(h.port, { username: USERNAME, password: guess })).toBe(
        'client-authentication',
      )
    }

    const delayed = connectSsh(h.port, { username: 'bob.d3aac109', password: 'bob' })
    await vi.waitFor(() =>
      expect(h.logger.records.map((r) => r.message)).toContain(
        'delaying login attempt after recent failures',
      ),
    )
    expect(sftpAuthCalls(panel)).toBe(2)
    clock.advance(5_000)
    await using session = await delayed

    expect(sftpAuthCalls(panel)).toBe(3)
    expect(session.client).toBeInstanceOf(Client)
  })

  it('slows a username that keeps failing from other addresses too', async () => {
    const clock = new FakeClock()
    const panel = new InMemoryPanelGateway()
    panel.addSftpUser(USERNAME, { password: PASSWORD, server: SERVER_UUID, permissions: ['*'] })
    await using h = await startSftpServer({
      panel,
      clock,
      limits: { freeLoginFailures: 2, loginDelayMs: 5_000, maxLoginDelayMs: 20_000 },
    })
    for (const address of ['127.0.0.2', '127.0.0.3']) {
      expect(await loginResult(h.port, { username: USERNAME, password: 'x' }, address)).toBe(
        'client-authentication',
      )
    }

    const delayed = loginResult(h.port, { username: USERNAME, password: PASSWORD }, '127.0.0.4')
    await vi.waitFor(() =>
      expect(h.logger.records.map((r) => r.message)).toContain(
        'delaying login attempt after recent failures',
      ),
    )
    expect(sftpAuthCalls(panel)).toBe(2)
    clock.advance(5_000)

    expect(await delayed).toBe('ok')
  })

  it('refuses a second session of a user beyond maxSessionsPerUser', async () => {
    await using h = await startSftpServer({ limits: { maxSessionsPerUser: 1 } })
    await using first = await connectSsh(h.port, { username: USERNAME, password: PASSWORD })

    expect(await loginResult(h.port, { username: USERNAME, password: PASSWORD })).toBe(
      'client-authentication',
    )
    await first.close()
    await vi.waitFor(() => expect(h.server.connectionCount).toBe(0))
    expect(await loginResult(h.port, { username: USERNAME, password: PASSWORD })).toBe('ok')
  })

  it('refuses connections from an address beyond maxConnectionsPerAddress at once', async () => {
    await using h = await startSftpServer({ limits: { maxConnectionsPerAddress: 2 } })
    const held = await Promise.all([rawConnection(h.port), rawConnection(h.port)])
    await vi.waitFor(() => expect(h.server.connectionCount).toBe(2))

    const third = await rawConnection(h.port)

    await third.closed
    expect(await loginResult(h.port, { username: USERNAME, password: PASSWORD }, '127.0.0.2')).toBe(
      'ok',
    )
    for (const socket of held) socket.socket.destroy()
  })

  it('closes a connection that does not log in within the grace time', async () => {
    const clock = new FakeClock()
    await using h = await startSftpServer({ clock, limits: { loginGraceMs: 30_000 } })
    const idle = await rawConnection(h.port)
    await vi.waitFor(() => expect(h.server.connectionCount).toBe(1))

    clock.advance(30_000)

    await idle.closed
    await vi.waitFor(() => expect(h.server.connectionCount).toBe(0))
  })
})

describe('SFTP server: only the sftp subsystem', () => {
  it('refuses exec, shell, port forwarding and unix socket forwarding', async () => {
    await using h = await startSftpServer()
    await using session = await connectSsh(h.port, { username: USERNAME, password: PASSWORD })
    const { client } = session
    const outcome = (start: (cb: (error: Error | undefined) => void) => void): Promise<string> =>
      new Promise((resolve) => start((error) => resolve(error ? 'refused' : 'accepted')))

    const results = {
      exec: await outcome((cb) => client.exec('id', (e) => cb(e))),
      shell: await outcome((cb) => client.shell((e) => cb(e))),
      forwardOut: await outcome((cb) =>
        client.forwardOut('127.0.0.1', 1, '127.0.0.1', 22, (e) => cb(e)),
      ),
      forwardIn: await outcome((cb) => client.forwardIn('127.0.0.1', 0, (e) => cb(e))),
      streamLocal: await outcome((cb) =>
        client.openssh_forwardOutStreamLocal('/var/run/docker.sock', (e) => cb(e)),
      ),
    }

    expect(results).toEqual({
      exec: 'refused',
      shell: 'refused',
      forwardOut: 'refused',
      forwardIn: 'refused',
      streamLocal: 'refused',
    })
  })
})

async function rawConnection(port: number): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => undefined)
  // Read and drop what the server sends, so its close is seen.
  socket.resume()
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  return { socket, closed }
}
