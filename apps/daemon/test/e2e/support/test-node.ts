import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'

import { parse, stringify } from 'yaml'

import { startPanelSim, type PanelSim } from '@node/panel-sim'
import { createTempDir, type TempDir } from '@node/testkit'

import { startDaemon, type CliOptions, type DaemonProcess } from './daemon-process.js'

type Fixture = NonNullable<Parameters<typeof startPanelSim>[0]>['fixture']

export interface TestNodeOptions {
  readonly fixture: Fixture
  /** `remote_query.boot_servers_per_page` */
  readonly perPage?: number
  readonly environment?: 'docker' | 'process'
  /** Extra top-level config keys, merged over the generated ones. */
  readonly config?: Record<string, unknown>
  /** Serve the API over TLS with this certificate and key (PEM files); `ca` verifies it. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: Buffer }
  /** The Panel whose tokens panel-sim mints (default 1.12, which scopes them). */
  readonly panelVersion?: '1.11' | '1.12'
  /** Run another `wings` than the sources' (an unpacked release). */
  readonly cli?: CliOptions
}

/** config.yml as parsed: nested maps. */
export interface ConfigTree {
  [key: string]: ConfigTree | string | number | boolean | null | unknown[]
}

export interface TestNode extends AsyncDisposable {
  readonly sim: PanelSim
  readonly daemon: DaemonProcess
  readonly token: string
  readonly configPath: string
  readonly dataDirectory: string
  /** Sends a request to the daemon with the node token (unless `token: null`). */
  request(
    method: string,
    route: string,
    options?: { body?: string; token?: string | null; headers?: Record<string, string> },
  ): Promise<Response>
  /** Restarts the daemon process; `edit`, when given, changes the parsed config.yml meanwhile. */
  restart(kind?: 'stop' | 'kill', edit?: (config: ConfigTree) => void): Promise<DaemonProcess>
}

/**
 * A node as an operator runs it: panel-sim as the Panel, the Panel's generated `config.yml` with
 * local directories, and the real daemon CLI in its own process, all on loopback.
 */
export async function startTestNode(options: TestNodeOptions): Promise<TestNode> {
  const dir: TempDir = await createTempDir('e2e-node-')
  const port = await freePort()
  const tokenId = randomBytes(8).toString('hex')
  const token = randomBytes(32).toString('hex')
  const daemonUrl = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`
  const sim = await startPanelSim({
    fixture: options.fixture,
    node: { daemonUrl, tokenId, token },
    panelVersion: options.panelVersion ?? '1.12',
    log: () => undefined,
  })
  const generated = sim.nodeConfiguration()
  const dataDirectory = path.join(dir.path, 'volumes')
  const config = {
    ...generated,
    api: {
      ...generated.api,
      host: '127.0.0.1',
      port,
      ...(options.tls
        ? { ssl: { enabled: true, cert: options.tls.cert, key: options.tls.key } }
        : {}),
    },
    system: {
      ...generated.system,
      root_directory: path.join(dir.path, 'lib'),
      log_directory: path.join(dir.path, 'log'),
      data: dataDirectory,
      archive_directory: path.join(dir.path, 'archives'),
      backup_directory: path.join(dir.path, 'backups'),
      tmp_directory: path.join(dir.path, 'tmp'),
      environment: options.environment ?? 'process',
      // The daemon would write /etc/logrotate.d/wings on the machine that runs the tests.
      enable_log_rotate: false,
    },
    remote_query: { boot_servers_per_page: options.perPage ?? 50 },
    ...options.config,
  }
  const configPath = path.join(dir.path, 'config.yml')
  await writeFile(configPath, stringify(config), { mode: 0o600 })

  const launch = () =>
    startDaemon({
      configPath,
      url: daemonUrl,
      token,
      ...(options.tls ? { ca: options.tls.ca } : {}),
      ...(options.cli ? { cli: options.cli } : {}),
    })
  let daemon = await launch()
  return {
    sim,
    get daemon() {
      return daemon
    },
    token,
    configPath,
    dataDirectory,
    request(method, route, request = {}) {
      const headers: Record<string, string> = { ...request.headers }
      const bearer = request.token === undefined ? token : request.token
      if (bearer !== null) headers['Authorization'] = `Bearer ${bearer}`
      return fetch(`${daemonUrl}${route}`, { method, headers, body: request.body ?? null })
    },
    async restart(kind = 'stop', edit) {
      await (kind === 'stop' ? daemon.stop() : daemon.kill())
      if (edit !== undefined) {
        const current = parse(await readFile(configPath, 'utf8')) as ConfigTree
        edit(current)
        await writeFile(configPath, stringify(current), { mode: 0o600 })
      }
      daemon = await launch()
      return daemon
    },
    async [Symbol.asyncDispose]() {
      await daemon.stop()
      await sim.close()
      await dir[Symbol.asyncDispose]()
    },
  }
}

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}
