import { isDaemonError } from '@node/shared-kernel'
import { MemoryLogger } from '@node/shared-kernel/testing'
import { afterEach, describe, expect, it } from 'vitest'

import { HttpPanelGateway, PanelCallError, type HttpPanelGatewayOptions } from '../src/index.js'
import { paperServer, withPath } from './fixtures/paper-server.js'
import {
  closedPort,
  json,
  panelError,
  startTestServer,
  type Handler,
  type TestServer,
} from './support/start-test-server.js'

const TOKEN_ID = 'Q0mVwY8pXb3Kc7Rt'
const TOKEN = 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2'
const UUID = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const BACKUP = '8f14e45f-ceea-467f-a0e6-d8a52b3c4d5e'
/** Short waits so that a test sees many retries quickly; the shape is the reference's. */
const FAST_RETRY = { initialIntervalMs: 5, maxIntervalMs: 20, maxElapsedMs: 2_000 }

const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function panel(handler: Handler): Promise<TestServer> {
  const server = await startTestServer(handler)
  cleanups.push(() => server.close())
  return server
}

function gatewayFor(
  server: { readonly url: string },
  options: Partial<HttpPanelGatewayOptions> = {},
): HttpPanelGateway {
  const gateway = new HttpPanelGateway({
    baseUrl: server.url,
    tokenId: TOKEN_ID,
    token: TOKEN,
    timeoutMs: 10_000,
    userAgentVersion: '1.11.11',
    logger: new MemoryLogger(),
    retry: FAST_RETRY,
    ...options,
  })
  cleanups.push(() => gateway.close())
  return gateway
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('the call succeeded')
    },
    (err: unknown) => err,
  )
}

/** Answers with `failures` in turn, then with `success`. */
function failingThen(failures: Handler[], success: Handler): Handler {
  let calls = 0
  return (req, res) => {
    const handler = failures[calls++] ?? success
    return handler(req, res)
  }
}

const noContent: Handler = (_req, res) => {
  res.writeHead(204).end()
}
const serverError: Handler = (_req, res) => {
  panelError(res, 500, 'QueryException', 'Database went away.')
}
const dropConnection: Handler = (_req, res) => {
  res.socket?.destroy()
}

describe('HttpPanelGateway', () => {
  describe('requests', () => {
    it('sends the headers of the reference on every call, GET included', async () => {
      const server = await panel((_req, res) => json(res, 200, paperServer()))

      await gatewayFor(server).getServerConfiguration(UUID)

      const [request] = server.requests
      expect(request?.method).toBe('GET')
      expect(request?.url).toBe(`/api/remote/servers/${UUID}`)
      expect(request?.headers).toMatchObject({
        authorization: `Bearer ${TOKEN_ID}.${TOKEN}`,
        accept: 'application/vnd.pterodactyl.v1+json',
        'content-type': 'application/json',
        'user-agent': `Pterodactyl Wings/v1.11.11 (id:${TOKEN_ID})`,
      })
      expect(request?.body).toBe('')
    })

    it('sends the literal body null for POSTs without data', async () => {
      const server = await panel(noContent)
      const gateway = gatewayFor(server)

      await gateway.resetServerStates()
      await gateway.setTransferStatus(UUID, true)
      await gateway.setTransferStatus(UUID, false)

      expect(server.requests.map((r) => [r.method, r.url, r.body])).toEqual([
        ['POST', '/api/remote/servers/reset', 'null'],
        ['POST', `/api/remote/servers/${UUID}/transfer/success`, 'null'],
        ['POST', `/api/remote/servers/${UUID}/transfer/failure`, 'null'],
      ])
      expect(server.requests.every((r) => r.headers['content-type'] === 'application/json')).toBe(
        true,
      )
    })

    it('puts /api/remote after the Panel URL, without its trailing slash', async () => {
      const server = await panel(noContent)

      await gatewayFor(server, { baseUrl: `${server.url}/panel/` }).resetServerStates()

      expect(server.requests[0]?.url).toBe('/panel/api/remote/servers/reset')
    })

    it('sends the reports with the field order of the reference', async () => {
      const server = await panel(noContent)
      const gateway = gatewayFor(server)

      await gateway.setInstallationStatus(UUID, { successful: true, reinstall: false })
      await gateway.setBackupStatus(BACKUP, {
        checksum: '2fd4e1c67a2d28fced849ee1bb76e7391b93eb12',
        checksumType: 'sha1',
        size: 104857600,
        successful: true,
        parts: [{ etag: '"9b2cf535f27731c974343645a3985328"', partNumber: 1 }],
      })
      await gateway.setBackupStatus(BACKUP, {
        checksum: '',
        checksumType: '',
        size: 0,
        successful: false,
        parts: null,
      })
      await gateway.setRestoreStatus(BACKUP, false)

      expect(server.requests.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
        `POST /api/remote/servers/${UUID}/install {"successful":true,"reinstall":false}`,
        `POST /api/remote/backups/${BACKUP} {"checksum":"2fd4e1c67a2d28fced849ee1bb76e7391b93eb12","checksum_type":"sha1","size":104857600,"successful":true,"parts":[{"etag":"\\"9b2cf535f27731c974343645a3985328\\"","part_number":1}]}`,
        `POST /api/remote/backups/${BACKUP} {"checksum":"","checksum_type":"","size":0,"successful":false,"parts":null}`,
        `POST /api/remote/backups/${BACKUP}/restore {"successful":false}`,
      ])
    })

    it('sends SFTP credentials with the SSH bytes as base64', async () => {
      const server = await panel((_req, res) =>
        json(res, 200, { user: 'u-uuid', server: UUID, permissions: ['file.read'] }),
      )

      const result = await gatewayFor(server).validateSftpCredentials({
        type: 'public_key',
        username: 'alice.d3aac109',
        password: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO alice\n',
        ip: '[::1]:51234',
        sessionId: Buffer.from([0, 1, 2, 255]),
        clientVersion: Buffer.from('SSH-2.0-OpenSSH_9.2'),
      })

      expect(result).toEqual({ user: 'u-uuid', server: UUID, permissions: ['file.read'] })
      expect(server.requests[0]?.url).toBe('/api/remote/sftp/auth')
      expect(server.requests[0]?.body).toBe(
        '{"type":"public_key","username":"alice.d3aac109","password":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO alice\\n","ip":"[::1]:51234","session_id":"AAEC/w==","client_version":"U1NILTIuMC1PcGVuU1NIXzkuMg=="}',
      )
    })

    it('sends activity as a data list, and nothing for an empty batch', async () => {
      const server = await panel((_req, res) => {
        res.writeHead(200).end()
      })
      const gateway = gatewayFor(server)

      await gateway.sendActivity([])
      await gateway.sendActivity([
        {
          user: null,
          server: UUID,
          event: 'server:sftp.delete',
          metadata: { files: ['/logs/a.log'] },
          ip: '203.0.113.7',
          timestamp: '2024-03-17T20:59:00Z',
        },
      ])

      expect(server.requests.map((r) => [r.url, r.body])).toEqual([
        [
          '/api/remote/activity',
          `{"data":[{"user":null,"server":"${UUID}","event":"server:sftp.delete","metadata":{"files":["/logs/a.log"]},"ip":"203.0.113.7","timestamp":"2024-03-17T20:59:00Z"}]}`,
        ],
      ])
    })

    it('adds custom headers, which never replace the headers of the reference', async () => {
      const server = await panel(noContent)
      const gateway = gatewayFor(server, {
        customHeaders: { 'X-Tenant': 'blue', authorization: 'Bearer stolen', Accept: 'text/html' },
      })

      await gateway.resetServerStates()

      expect(server.requests[0]?.headers).toMatchObject({
        'x-tenant': 'blue',
        authorization: `Bearer ${TOKEN_ID}.${TOKEN}`,
        accept: 'application/vnd.pterodactyl.v1+json',
      })
    })

    it('refuses options that could never authenticate', () => {
      const base = { baseUrl: 'https://panel.example.com', timeoutMs: 1, userAgentVersion: '1' }

      expect(() => new HttpPanelGateway({ ...base, tokenId: '', token: TOKEN })).toThrow(/tokenId/)
      expect(() => new HttpPanelGateway({ ...base, tokenId: 'a.b', token: TOKEN })).toThrow(/dot/)
      expect(() => new HttpPanelGateway({ ...base, tokenId: 'a', token: 'x y' })).toThrow(/token/)
      expect(
        () =>
          new HttpPanelGateway({ ...base, baseUrl: 'panel.example.com', tokenId: 'a', token: 'b' }),
      ).toThrow(/absolute http\(s\) URL/)
    })
  })

  describe('answers', () => {
    it('reads the server configuration, the install script and the backup part URLs', async () => {
      const server = await panel((req, res) => {
        if (req.url.endsWith('/install')) {
          json(res, 200, { container_image: 'alpine', entrypoint: 'ash', script: 'echo\r\nok' })
        } else if (req.url.startsWith('/api/remote/backups/')) {
          json(res, 200, { parts: ['https://s3.example/part1'], part_size: 5368709120 })
        } else {
          json(res, 200, paperServer())
        }
      })
      const gateway = gatewayFor(server)

      const config = await gateway.getServerConfiguration(UUID)
      const script = await gateway.getInstallationScript(UUID)
      const parts = await gateway.getBackupUploadParts(BACKUP, 123456)

      expect(config.settings.build.memoryLimit).toBe(1024)
      expect(script).toEqual({ containerImage: 'alpine', entrypoint: 'ash', script: 'echo\nok' })
      expect(parts).toEqual({ parts: ['https://s3.example/part1'], partSize: 5368709120 })
      expect(server.requests[2]?.url).toBe(`/api/remote/backups/${BACKUP}?size=123456`)
    })

    it('rejects a malformed configuration naming the call and the field, without retrying', async () => {
      const server = await panel((_req, res) =>
        json(res, 200, withPath(paperServer(), 'settings.build.swap', 'unlimited')),
      )

      const failure = await failureOf(gatewayFor(server).getServerConfiguration(UUID))

      expect(failure).toBeInstanceOf(PanelCallError)
      expect((failure as Error).message).toBe(
        `failed to fetch server configuration (GET /api/remote/servers/${UUID}): invalid Panel data at settings.build.swap: expected an integer, got the string "unlimited"`,
      )
      expect(server.requests).toHaveLength(1)
    })

    it('rejects an answer that is not JSON', async () => {
      const server = await panel((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>Laravel</html>')
      })

      const failure = await failureOf(gatewayFor(server).getInstallationScript(UUID))

      expect((failure as Error).message).toContain(
        'the Panel answered with something that is not JSON',
      )
    })

    it('rejects an answer larger than the limit without retrying', async () => {
      const server = await panel((_req, res) => json(res, 200, paperServer()))

      const failure = await failureOf(
        gatewayFor(server, { maxResponseBytes: 100 }).getServerConfiguration(UUID),
      )

      expect((failure as Error).message).toContain('larger than 100 bytes')
      expect(server.requests).toHaveLength(1)
    })
  })

  describe('retries', () => {
    it('retries 5xx answers and re-sends the same body', async () => {
      const server = await panel(failingThen([serverError, serverError], noContent))

      await gatewayFor(server).setInstallationStatus(UUID, { successful: false, reinstall: true })

      expect(server.requests.map((r) => r.body)).toEqual([
        '{"successful":false,"reinstall":true}',
        '{"successful":false,"reinstall":true}',
        '{"successful":false,"reinstall":true}',
      ])
    })

    it('retries dropped connections', async () => {
      const server = await panel(
        failingThen([dropConnection, dropConnection], (_req, res) => json(res, 200, paperServer())),
      )

      const config = await gatewayFor(server).getServerConfiguration(UUID)

      expect(config.settings.uuid).toBe(UUID)
      expect(server.requests).toHaveLength(3)
    })

    it('retries a refused connection until the budget is spent', async () => {
      const port = await closedPort()
      const gateway = gatewayFor(
        { url: `http://127.0.0.1:${port}` },
        { retry: { ...FAST_RETRY, maxElapsedMs: 100 } },
      )

      const failure = await failureOf(gateway.resetServerStates())

      expect(failure).toBeInstanceOf(PanelCallError)
      expect((failure as PanelCallError).attempts).toBeGreaterThan(1)
      expect((failure as PanelCallError).status).toBeUndefined()
      expect((failure as Error).message).toMatch(
        /^failed to reset server states \(POST \/api\/remote\/servers\/reset\): connect ECONNREFUSED/,
      )
    })

    it('retries a 3xx answer to a POST', async () => {
      const redirect: Handler = (_req, res) => {
        res.writeHead(302, { Location: '/elsewhere' }).end()
      }
      const server = await panel(failingThen([redirect], noContent))

      await gatewayFor(server).setRestoreStatus(BACKUP, true)

      expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        `POST /api/remote/backups/${BACKUP}/restore`,
        `POST /api/remote/backups/${BACKUP}/restore`,
      ])
    })

    it('follows a redirect for a GET, keeping the credentials on the same origin', async () => {
      const server = await panel((req, res) => {
        if (req.url.startsWith('/api/')) {
          res.writeHead(301, { Location: `/moved${req.url}` }).end()
        } else {
          json(res, 200, paperServer())
        }
      })

      await gatewayFor(server).getServerConfiguration(UUID)

      expect(server.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
        [`/api/remote/servers/${UUID}`, `Bearer ${TOKEN_ID}.${TOKEN}`],
        [`/moved/api/remote/servers/${UUID}`, `Bearer ${TOKEN_ID}.${TOKEN}`],
      ])
    })

    it('drops the credentials when a redirect leaves the Panel origin', async () => {
      const elsewhere = await panel((_req, res) => json(res, 200, paperServer()))
      const server = await panel((req, res) => {
        res.writeHead(302, { Location: `${elsewhere.url}${req.url}` }).end()
      })

      await gatewayFor(server).getServerConfiguration(UUID)

      expect(elsewhere.requests[0]?.headers.authorization).toBeUndefined()
    })

    it('abandons an attempt that runs past the timeout and tries again', async () => {
      const hang: Handler = () => undefined
      const server = await panel(failingThen([hang], noContent))

      await gatewayFor(server, { timeoutMs: 200 }).resetServerStates()

      expect(server.requests).toHaveLength(2)
    })

    it('gives up when the budget is spent, with the Panel error of the last answer', async () => {
      const server = await panel(serverError)
      const logger = new MemoryLogger()

      const failure = await failureOf(
        gatewayFor(server, {
          logger,
          retry: { ...FAST_RETRY, maxElapsedMs: 150 },
        }).resetServerStates(),
      )

      expect(failure).toBeInstanceOf(PanelCallError)
      const error = failure as PanelCallError
      expect(error.attempts).toBe(server.requests.length)
      expect(error.attempts).toBeGreaterThan(2)
      expect(error.message).toBe(
        `failed to reset server states (POST /api/remote/servers/reset): Error response from Panel: QueryException: Database went away. (HTTP/500) (after ${error.attempts} attempts)`,
      )
      const retries = logger.records.filter((r) => r.message === 'Panel request failed; retrying')
      expect(retries).toHaveLength(error.attempts - 1)
      expect(
        retries.every((r) => r.level === 'warn' && Number(r.fields?.['retry_in_ms']) > 0),
      ).toBe(true)
      expect(JSON.stringify(logger.records)).not.toContain(TOKEN)
    })
  })

  describe('errors that are not retried', () => {
    it('returns a 4xx at once, decoded as the reference does', async () => {
      const server = await panel((_req, res) =>
        panelError(res, 422, 'ValidationException', 'The successful field is required.'),
      )

      const failure = await failureOf(
        gatewayFor(server).setInstallationStatus(UUID, { successful: true, reinstall: false }),
      )

      expect(server.requests).toHaveLength(1)
      expect(failure).toBeInstanceOf(PanelCallError)
      expect((failure as PanelCallError).status).toBe(422)
      expect((failure as Error).message).toBe(
        `failed to report installation status (POST /api/remote/servers/${UUID}/install): Error response from Panel: ValidationException: The successful field is required. (HTTP/422)`,
      )
    })

    it('reports a missing response code when the error has no body', async () => {
      const server = await panel((_req, res) => {
        res.writeHead(403).end()
      })

      const failure = await failureOf(gatewayFor(server).resetServerStates())

      expect((failure as Error).message).toContain(
        'Error response from Panel: _MissingResponseCode: No error response returned from API endpoint. (HTTP/403)',
      )
    })

    it.each([
      ['getServerConfiguration', (g: HttpPanelGateway) => g.getServerConfiguration(UUID)],
      ['getInstallationScript', (g: HttpPanelGateway) => g.getInstallationScript(UUID)],
      [
        'setInstallationStatus',
        (g: HttpPanelGateway) =>
          g.setInstallationStatus(UUID, { successful: true, reinstall: false }),
      ],
      ['setTransferStatus', (g: HttpPanelGateway) => g.setTransferStatus(UUID, true)],
    ])('turns a Panel 404 in %s into NotFoundError', async (_, call) => {
      const server = await panel((_req, res) => panelError(res, 404, 'RecordNotFoundException', ''))

      const failure = await failureOf(call(gatewayFor(server)))

      expect(isDaemonError(failure) && failure.code).toBe('NOT_FOUND')
      expect((failure as Error).message).toBe('server does not exist on remote system')
      expect(((failure as Error).cause as PanelCallError).status).toBe(404)
      expect(server.requests).toHaveLength(1)
    })

    it('keeps a 404 on a backup as a PanelCallError', async () => {
      const server = await panel((_req, res) =>
        panelError(
          res,
          404,
          'NotFoundHttpException',
          'The requested resource could not be found on the server.',
        ),
      )

      const failure = await failureOf(gatewayFor(server).setRestoreStatus(BACKUP, true))

      expect(failure).toBeInstanceOf(PanelCallError)
      expect((failure as PanelCallError).status).toBe(404)
    })

    it.each([400, 403, 409, 422, 429])(
      'turns a %i on SFTP authentication into DeniedError',
      async (status) => {
        const server = await panel((_req, res) =>
          panelError(
            res,
            status,
            'HttpForbiddenException',
            'Authorization credentials were not correct, please try again.',
          ),
        )

        const failure = await failureOf(
          gatewayFor(server).validateSftpCredentials({
            type: 'password',
            username: 'alice.d3aac109',
            password: 'wrong',
            ip: '203.0.113.7:51234',
            sessionId: Buffer.from('s'),
            clientVersion: Buffer.from('c'),
          }),
        )

        expect(isDaemonError(failure) && failure.code).toBe('DENIED')
        expect(((failure as Error).cause as PanelCallError).status).toBe(status)
        expect(server.requests).toHaveLength(1)
      },
    )

    it('retries a 5xx on SFTP authentication and then fails with the Panel error, not a denial', async () => {
      const server = await panel(serverError)

      const failure = await failureOf(
        gatewayFor(server, { retry: { ...FAST_RETRY, maxElapsedMs: 100 } }).validateSftpCredentials(
          {
            type: 'password',
            username: 'alice.d3aac109',
            password: 'secret',
            ip: '203.0.113.7:51234',
            sessionId: Buffer.from('s'),
            clientVersion: Buffer.from('c'),
          },
        ),
      )

      expect(failure).toBeInstanceOf(PanelCallError)
      expect(server.requests.length).toBeGreaterThan(1)
    })

    it('refuses an SFTP username without a server id without asking the Panel', async () => {
      const server = await panel(serverError)

      const failure = await failureOf(
        gatewayFor(server).validateSftpCredentials({
          type: 'password',
          username: 'alice',
          password: 'secret',
          ip: '203.0.113.7:51234',
          sessionId: Buffer.from('s'),
          clientVersion: Buffer.from('c'),
        }),
      )

      expect(isDaemonError(failure) && failure.code).toBe('DENIED')
      expect(server.requests).toHaveLength(0)
    })
  })

  describe('cancellation', () => {
    it('ends a request in flight when the caller aborts, with the abort reason', async () => {
      let closed = false
      const server = await panel((_req, res) => {
        res.on('close', () => (closed = true))
      })
      const controller = new AbortController()
      const reason = new Error('server deleted')

      const outcome = failureOf(gatewayFor(server).getServerConfiguration(UUID, controller.signal))
      await waitFor(() => server.requests.length === 1)
      controller.abort(reason)

      expect(await outcome).toBe(reason)
      await waitFor(() => closed)
      expect(server.requests).toHaveLength(1)
    })

    it('stops waiting for the next attempt when the caller aborts', async () => {
      const server = await panel(serverError)
      const controller = new AbortController()
      const gateway = gatewayFor(server, {
        retry: { initialIntervalMs: 60_000, maxElapsedMs: 600_000 },
      })

      const outcome = failureOf(gateway.resetServerStates(controller.signal))
      await waitFor(() => server.requests.length === 1)
      controller.abort(new Error('shutdown'))

      expect(await outcome).toEqual(new Error('shutdown'))
      expect(server.requests).toHaveLength(1)
    })

    it('sends nothing when the signal is already aborted', async () => {
      const server = await panel(noContent)

      const failure = await failureOf(
        gatewayFor(server).resetServerStates(AbortSignal.abort(new Error('too late'))),
      )

      expect(failure).toEqual(new Error('too late'))
      expect(server.requests).toHaveLength(0)
    })
  })

  describe('listServers', () => {
    function listing(perPage: number, servers: readonly Record<string, unknown>[]): Handler {
      const lastPage = Math.max(1, Math.ceil(servers.length / perPage))
      return (req, res) => {
        const query = new URL(req.url, 'http://panel').searchParams
        // Laravel serves page 1 for page 0.
        const page = Math.max(1, Number(query.get('page')))
        json(res, 200, {
          data: servers.slice((page - 1) * perPage, page * perPage),
          links: {},
          meta: {
            current_page: page,
            last_page: lastPage,
            per_page: perPage,
            total: servers.length,
          },
        })
      }
    }

    function servers(count: number): Record<string, unknown>[] {
      return Array.from({ length: count }, (_, i) => {
        const uuid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
        return { uuid, ...withPath(paperServer(), 'settings.uuid', uuid) }
      })
    }

    it('asks for page 0 only when everything fits on it', async () => {
      const server = await panel(listing(50, servers(3)))

      const entries = await gatewayFor(server).listServers({ perPage: 50 })

      expect(entries).toHaveLength(3)
      expect(server.requests.map((r) => r.url)).toEqual(['/api/remote/servers?page=0&per_page=50'])
    })

    it('fetches the remaining pages in parallel and keeps the Panel order', async () => {
      const all = servers(7)
      const answer = listing(2, all)
      let inFlight = 0
      let mostInFlight = 0
      let laterPages = 0
      const server = await panel(async (req, res) => {
        inFlight++
        mostInFlight = Math.max(mostInFlight, inFlight)
        if (!req.url.includes('page=0')) {
          // Hold each later page until all three are asked for: they must be in flight together.
          laterPages++
          await waitFor(() => laterPages === 3, 2_000).catch(() => undefined)
        }
        inFlight--
        await answer(req, res)
      })

      const entries = await gatewayFor(server).listServers({ perPage: 2 })

      expect(entries.map((e) => e.uuid)).toEqual(all.map((s) => s.uuid))
      expect(server.requests[0]?.url).toBe('/api/remote/servers?page=0&per_page=2')
      expect(
        server.requests
          .slice(1)
          .map((r) => r.url)
          .sort(),
      ).toEqual([
        '/api/remote/servers?page=2&per_page=2',
        '/api/remote/servers?page=3&per_page=2',
        '/api/remote/servers?page=4&per_page=2',
      ])
      expect(mostInFlight).toBe(3)
    })

    it('returns a malformed server as its uuid and error, next to the good ones', async () => {
      const list = servers(3)
      withPath(list[1]!, 'settings.environment', 'broken')
      const server = await panel(listing(2, list))

      const entries = await gatewayFor(server).listServers({ perPage: 2 })

      expect(entries.map((e) => [e.uuid, 'error' in e])).toEqual([
        [list[0]!.uuid, false],
        [list[1]!.uuid, true],
        [list[2]!.uuid, false],
      ])
      const broken = entries[1] as { error: Error }
      expect(broken.error.message).toContain('data[1].settings.environment')
    })

    it('fails the whole call when one page fails', async () => {
      const answer = listing(1, servers(4))
      const server = await panel((req, res) =>
        req.url.includes('page=3')
          ? panelError(
              res,
              403,
              'AccessDeniedHttpException',
              'You are not authorized to access this resource.',
            )
          : answer(req, res),
      )

      const failure = await failureOf(gatewayFor(server).listServers({ perPage: 1 }))

      expect(failure).toBeInstanceOf(PanelCallError)
      expect((failure as Error).message).toContain(
        'failed to list servers (GET /api/remote/servers?page=3&per_page=1): Error response from Panel: AccessDeniedHttpException',
      )
    })

    it('refuses a page size that is not a positive integer', async () => {
      const server = await panel(listing(1, []))

      await expect(gatewayFor(server).listServers({ perPage: 0 })).rejects.toThrow(RangeError)
      expect(server.requests).toHaveLength(0)
    })
  })
})

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
