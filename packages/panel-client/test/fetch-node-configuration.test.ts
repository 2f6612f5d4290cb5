import { isDaemonError } from '@node/shared-kernel'
import { afterEach, describe, expect, it } from 'vitest'

import { fetchNodeConfiguration, PanelCallError } from '../src/index.js'
import {
  closedPort,
  json,
  panelError,
  startTestServer,
  type Handler,
  type TestServer,
} from './support/start-test-server.js'

const API_KEY = 'ptla_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHI'
const NODE_CONFIGURATION = {
  debug: false,
  uuid: '2b1f6d3c-8a4e-4f6b-9c2d-1e3f5a7b9c0d',
  token_id: 'Q0mVwY8pXb3Kc7Rt',
  token: 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2',
  api: {
    host: '0.0.0.0',
    port: 8080,
    ssl: { enabled: false, cert: '', key: '' },
    upload_limit: 100,
  },
  system: { data: '/var/lib/pterodactyl/volumes', sftp: { bind_port: 2022 } },
  allowed_mounts: [],
  remote: 'https://panel.example.com',
}

const servers: TestServer[] = []

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close()
})

async function panel(handler: Handler): Promise<TestServer> {
  const server = await startTestServer(handler)
  servers.push(server)
  return server
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('the call succeeded')
    },
    (err: unknown) => err,
  )
}

describe('fetchNodeConfiguration', () => {
  it('asks the application API for the node configuration with the API key', async () => {
    const server = await panel((_req, res) => json(res, 200, NODE_CONFIGURATION))

    const configuration = await fetchNodeConfiguration({
      panelUrl: `${server.url}/`,
      apiKey: API_KEY,
      nodeId: 3,
    })

    expect(configuration).toEqual(NODE_CONFIGURATION)
    expect(server.requests.map((r) => [r.method, r.url])).toEqual([
      ['GET', '/api/application/nodes/3/configuration'],
    ])
    expect(server.requests[0]?.headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      accept: 'application/vnd.pterodactyl.v1+json',
    })
  })

  it.each([401, 403])('turns a %i into the spec message for bad credentials', async (status) => {
    const server = await panel((_req, res) =>
      panelError(res, status, 'AuthenticationException', 'Unauthenticated.'),
    )

    const failure = await failureOf(
      fetchNodeConfiguration({ panelUrl: server.url, apiKey: API_KEY, nodeId: '1' }),
    )

    expect(isDaemonError(failure) && failure.code).toBe('DENIED')
    expect((failure as Error).message).toBe(
      'The authentication credentials provided were not valid.',
    )
    expect(server.requests).toHaveLength(1)
  })

  it('reports any other error status with the Panel error, once', async () => {
    const server = await panel((_req, res) =>
      panelError(res, 404, 'NotFoundHttpException', 'The requested resource could not be found.'),
    )

    const failure = await failureOf(
      fetchNodeConfiguration({ panelUrl: server.url, apiKey: API_KEY, nodeId: 9 }),
    )

    expect(failure).toBeInstanceOf(PanelCallError)
    expect((failure as Error).message).toBe(
      'failed to fetch the node configuration (GET /api/application/nodes/9/configuration): Error response from Panel: NotFoundHttpException: The requested resource could not be found. (HTTP/404)',
    )
    expect(server.requests).toHaveLength(1)
  })

  it('rejects an answer that is not a JSON object', async () => {
    const server = await panel((_req, res) => json(res, 200, ['debug', false]))

    const failure = await failureOf(
      fetchNodeConfiguration({ panelUrl: server.url, apiKey: API_KEY, nodeId: 1 }),
    )

    expect((failure as Error).message).toContain('JSON that is not an object')
  })

  it('reports an unreachable Panel', async () => {
    const port = await closedPort()

    const failure = await failureOf(
      fetchNodeConfiguration({ panelUrl: `http://127.0.0.1:${port}`, apiKey: API_KEY, nodeId: 1 }),
    )

    expect(failure).toBeInstanceOf(PanelCallError)
    expect((failure as Error).message).toContain('ECONNREFUSED')
  })

  it('gives up on a Panel that does not answer in time', async () => {
    const server = await panel(() => undefined)

    const failure = await failureOf(
      fetchNodeConfiguration({ panelUrl: server.url, apiKey: API_KEY, nodeId: 1, timeoutMs: 100 }),
    )

    expect((failure as Error).message).toContain('the Panel did not answer within 100 ms')
  })

  it.each([
    [{ nodeId: 'one' }, /numeric id/],
    [{ nodeId: 0 }, /numeric id/],
    [{ apiKey: '' }, /API key/],
    [{ panelUrl: 'panel.example.com' }, /absolute URL/],
    [{ panelUrl: 'ftp://panel.example.com' }, /http or https/],
  ])('refuses bad arguments before sending anything: %j', async (override, message) => {
    const options = { panelUrl: 'http://127.0.0.1:1', apiKey: API_KEY, nodeId: 1, ...override }

    await expect(fetchNodeConfiguration(options)).rejects.toThrow(message)
  })
})
