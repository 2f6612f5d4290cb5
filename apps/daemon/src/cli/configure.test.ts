import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import http, { type IncomingHttpHeaders } from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { promisify } from 'node:util'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { defaultConfig, loadConfig } from '../config/load-config.js'
import { parseCliArgs, type ConfigureArgs } from './args.js'
import { configureCommand, ConfigureError, runConfigure } from './configure.js'

/** What `GET /api/application/nodes/3/configuration` returns (panel-contract.md §D). */
const NODE_CONFIGURATION = {
  debug: false,
  uuid: '0f4b8f3e-3c8a-4b8e-9d9a-2c1f6b7a8e90',
  token_id: 'Q0mVwY8pXb3Kc7Rt',
  token: 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2',
  api: {
    host: '0.0.0.0',
    port: 8080,
    ssl: {
      enabled: true,
      cert: '/etc/letsencrypt/live/node1.example.com/fullchain.pem',
      key: '/etc/letsencrypt/live/node1.example.com/privkey.pem',
    },
    upload_limit: 100,
  },
  system: { data: '/var/lib/pterodactyl/volumes', sftp: { bind_port: 2022 } },
  allowed_mounts: ['/mnt/shared'],
  remote: 'https://panel.example.com',
}
const API_KEY = 'ptla_0123456789abcdef'

interface Seen {
  readonly url: string
  readonly headers: IncomingHttpHeaders
}

let dir: string
let servers: (http.Server | https.Server)[]

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'daemon-configure-'))
  servers = []
})

afterEach(async () => {
  await Promise.all(
    servers.map((s) =>
      new Promise((resolve) => s.close(resolve)).then(() => s.closeAllConnections()),
    ),
  )
  await rm(dir, { recursive: true, force: true })
})

/** A stand-in for the Panel's application API on loopback. */
async function startPanel(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = defaultHandler,
  tls?: { key: string; cert: string },
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    seen.push({ url: req.url ?? '', headers: req.headers })
    handler(req, res)
  }
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, seen }
}

function defaultHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.headers.authorization !== `Bearer ${API_KEY}`) {
    res
      .writeHead(403, { 'Content-Type': 'application/json' })
      .end('{"errors":[{"code":"AccessDeniedHttpException"}]}')
    return
  }
  if (req.url !== '/api/application/nodes/3/configuration') {
    res.writeHead(404).end('{"errors":[{"code":"NotFoundHttpException"}]}')
    return
  }
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(NODE_CONFIGURATION))
}

async function failure(promise: Promise<unknown>): Promise<ConfigureError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ConfigureError)
  return err as ConfigureError
}

describe('runConfigure', () => {
  it("fetches the node's configuration and writes it over the defaults", async () => {
    const panel = await startPanel()
    const file = path.join(dir, 'config.yml')

    const result = await runConfigure({
      panelUrl: panel.url,
      token: API_KEY,
      node: '3',
      configPath: file,
    })

    expect(panel.seen).toHaveLength(1)
    expect(panel.seen[0]?.url).toBe('/api/application/nodes/3/configuration')
    expect(panel.seen[0]?.headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      accept: 'application/vnd.pterodactyl.v1+json',
    })
    const { config } = await loadConfig({ path: file, env: {} })
    expect(result).toEqual({ path: file, config })
    expect(config.uuid).toBe(NODE_CONFIGURATION.uuid)
    expect(config.token).toBe(NODE_CONFIGURATION.token)
    expect(config.remote).toBe('https://panel.example.com')
    expect(config.api.ssl.key).toBe('/etc/letsencrypt/live/node1.example.com/privkey.pem')
    expect(config.docker).toEqual(defaultConfig().docker)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('keeps the sub-path of a Panel installed below the root', async () => {
    const panel = await startPanel((_req, res) => res.writeHead(200).end('{}'))

    await runConfigure({
      panelUrl: `${panel.url}/panel/`,
      token: API_KEY,
      node: '3',
      configPath: path.join(dir, 'c.yml'),
    })

    expect(panel.seen[0]?.url).toBe('/panel/api/application/nodes/3/configuration')
  })

  it('does not take allowed_mounts from the Panel, as Wings does not', async () => {
    const panel = await startPanel()
    const file = path.join(dir, 'config.yml')

    const { config } = await runConfigure({
      panelUrl: panel.url,
      token: API_KEY,
      node: '3',
      configPath: file,
    })

    expect(config.allowed_mounts).toEqual([])
  })

  it('says the credentials are wrong on 401 and 403', async () => {
    const panel = await startPanel()

    const err = await failure(
      runConfigure({
        panelUrl: panel.url,
        token: 'wrong',
        node: '3',
        configPath: path.join(dir, 'c.yml'),
      }),
    )

    expect(err.message).toBe('The authentication credentials provided were not valid.')
  })

  it('reports other statuses with the body', async () => {
    const panel = await startPanel((_req, res) => res.writeHead(500).end('server on fire'))

    const err = await failure(
      runConfigure({
        panelUrl: panel.url,
        token: API_KEY,
        node: '3',
        configPath: path.join(dir, 'c.yml'),
      }),
    )

    expect(err.message).toContain('An error occurred while processing this request (HTTP 500)')
    expect(err.message).toContain('server on fire')
  })

  it('reports a Panel that cannot be reached', async () => {
    const panel = await startPanel()
    await new Promise((resolve) => servers.pop()?.close(resolve))

    const err = await failure(
      runConfigure({
        panelUrl: panel.url,
        token: API_KEY,
        node: '3',
        configPath: path.join(dir, 'c.yml'),
      }),
    )

    expect(err.message).toMatch(/^Failed to fetch configuration from the panel\./)
  })

  it('rejects answers that are not JSON, or not a configuration', async () => {
    const notJson = await startPanel((_req, res) => res.writeHead(200).end('<html>'))
    const wrongTypes = await startPanel((_req, res) =>
      res.writeHead(200).end('{"api":{"port":"8080"}}'),
    )

    const a = await failure(
      runConfigure({
        panelUrl: notJson.url,
        token: API_KEY,
        node: '3',
        configPath: path.join(dir, 'a.yml'),
      }),
    )
    const b = await failure(
      runConfigure({
        panelUrl: wrongTypes.url,
        token: API_KEY,
        node: '3',
        configPath: path.join(dir, 'b.yml'),
      }),
    )

    expect(a.message).toBe('The Panel answered with something that is not JSON.')
    expect(b.message).toMatch(
      /^The configuration sent by the Panel cannot be used: json: cannot unmarshal string into Go field "api\.port"/,
    )
  })

  it('refuses to replace an existing file unless told to', async () => {
    const panel = await startPanel()
    const file = path.join(dir, 'config.yml')
    await writeFile(file, 'debug: true\n')

    const refused = await failure(
      runConfigure({ panelUrl: panel.url, token: API_KEY, node: '3', configPath: file }),
    )
    const declined = await failure(
      runConfigure({
        panelUrl: panel.url,
        token: API_KEY,
        node: '3',
        configPath: file,
        confirmOverride: () => Promise.resolve(false),
      }),
    )

    expect(refused.message).toBe(
      'Aborting process; a configuration file already exists for this node.',
    )
    expect(declined.message).toBe(refused.message)
    expect(await readFile(file, 'utf8')).toBe('debug: true\n')
    expect(panel.seen).toHaveLength(0)
  })

  it('replaces an existing file with --override or a confirmation', async () => {
    const panel = await startPanel()
    const a = path.join(dir, 'a.yml')
    const b = path.join(dir, 'b.yml')
    await writeFile(a, 'debug: true\n')
    await writeFile(b, 'debug: true\n')

    await runConfigure({
      panelUrl: panel.url,
      token: API_KEY,
      node: '3',
      configPath: a,
      override: true,
    })
    await runConfigure({
      panelUrl: panel.url,
      token: API_KEY,
      node: '3',
      configPath: b,
      confirmOverride: () => Promise.resolve(true),
    })

    expect((await loadConfig({ path: a, env: {} })).config.uuid).toBe(NODE_CONFIGURATION.uuid)
    expect((await loadConfig({ path: b, env: {} })).config.uuid).toBe(NODE_CONFIGURATION.uuid)
  })

  it('follows a redirect, and sends the API key only to the same host', async () => {
    const target = await startPanel()
    const sameHost = await startPanel((_req, res) =>
      res.writeHead(302, { Location: `${target.url}/api/application/nodes/3/configuration` }).end(),
    )
    const file = path.join(dir, 'config.yml')

    const err = await failure(
      runConfigure({ panelUrl: sameHost.url, token: API_KEY, node: '3', configPath: file }),
    )

    // 127.0.0.1 on another port is another host: the key is not forwarded, so the target refuses.
    expect(err.message).toBe('The authentication credentials provided were not valid.')
    expect(target.seen[0]?.headers.authorization).toBeUndefined()
    expect(sameHost.seen[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`)
  })

  it('checks its inputs before calling the Panel', async () => {
    const file = path.join(dir, 'config.yml')

    const badUrl = await failure(
      runConfigure({ panelUrl: 'panel.example.com', token: API_KEY, node: '3', configPath: file }),
    )
    const badNode = await failure(
      runConfigure({ panelUrl: 'http://127.0.0.1:1', token: API_KEY, node: 'x', configPath: file }),
    )

    expect(badUrl.message).toMatch(/^The Panel URL must be an absolute http\(s\) URL/)
    expect(badNode.message).toMatch(/^The node must be the numeric id/)
  })

  describe('over HTTPS with a self-signed certificate', () => {
    async function selfSigned(): Promise<{ key: string; cert: string }> {
      const keyFile = path.join(dir, 'key.pem')
      const certFile = path.join(dir, 'cert.pem')
      await promisify(execFile)('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ])
      return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') }
    }

    it('verifies the certificate unless --allow-insecure is given', async () => {
      const panel = await startPanel(defaultHandler, await selfSigned())
      const file = path.join(dir, 'config.yml')

      const refused = await failure(
        runConfigure({ panelUrl: panel.url, token: API_KEY, node: '3', configPath: file }),
      )
      const result = await runConfigure({
        panelUrl: panel.url,
        token: API_KEY,
        node: '3',
        configPath: file,
        allowInsecure: true,
      })

      expect(refused.message).toMatch(
        /^Failed to fetch configuration from the panel\.\n .*certificate/,
      )
      expect(result.config.uuid).toBe(NODE_CONFIGURATION.uuid)
    })
  })
})

describe('configureCommand', () => {
  function io(answers: string[] = [], interactive = false) {
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    const out: string[] = []
    const errOut: string[] = []
    stdout.on('data', (c: Buffer) => out.push(c.toString()))
    stderr.on('data', (c: Buffer) => errOut.push(c.toString()))
    const questions: string[] = []
    return {
      io: {
        stdout,
        stderr,
        ...(interactive
          ? {
              prompt: (q: string) => {
                questions.push(q)
                return Promise.resolve(answers.shift() ?? '')
              },
            }
          : {}),
      },
      out: () => out.join(''),
      err: () => errOut.join(''),
      questions,
    }
  }

  it('configures from flags and reports success', async () => {
    const panel = await startPanel()
    const file = path.join(dir, 'config.yml')
    const args = parseCliArgs([
      'configure',
      '--panel-url',
      panel.url,
      '--token',
      API_KEY,
      '--node',
      '3',
      '--config-path',
      file,
    ]) as ConfigureArgs
    const t = io()

    const code = await configureCommand(args, t.io)

    expect(code).toBe(0)
    expect(t.out()).toBe(`Successfully configured wings (${file}).\n`)
  })

  it('asks for missing values and for confirmation on a terminal', async () => {
    const panel = await startPanel()
    const file = path.join(dir, 'config.yml')
    await writeFile(file, 'debug: true\n')
    const args = parseCliArgs(['configure', '--config-path', file]) as ConfigureArgs
    const t = io([panel.url, API_KEY, '3', 'y'], true)

    const code = await configureCommand(args, t.io)

    expect(code).toBe(0)
    expect(t.questions).toEqual([
      'Panel URL: ',
      'API Token: ',
      'Node ID: ',
      'Override existing configuration file? [y/N] ',
    ])
  })

  it('prints the failure and exits 1 without a terminal to ask', async () => {
    const args = parseCliArgs([
      'configure',
      '--config-path',
      path.join(dir, 'c.yml'),
    ]) as ConfigureArgs
    const t = io()

    const code = await configureCommand(args, t.io)

    expect(code).toBe(1)
    expect(t.err()).toBe('Missing --panel-url. Run "wings configure --help" for usage.\n')
  })
})
