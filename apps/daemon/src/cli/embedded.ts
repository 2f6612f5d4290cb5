import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { loadConfig } from '../config/load-config.js'
import { EXIT_CODES } from '../composition/startup-error.js'
import type { DemoArgs } from './args.js'
import { chooseEmbeddedEnvironment } from './embedded-environment.js'
import { runUntilSignal, startOrExplain } from './run-daemon.js'

const EMBEDDED_PORT = Number(process.env['WINGS_EMBEDDED_PORT'] ?? 8080)
/** The project's `dev` script, whose `console` command opens a server's console websocket. */
const DEV = fileURLToPath(new URL('../../../../dev', import.meta.url))

/**
 * `wings demo` (what `./dev start` runs without `--config`): a Panel simulator and the daemon on
 * loopback, with a generated configuration and a sample server, all under `.data/embedded/` of
 * the working directory. For trying the daemon out; a real node runs with `--config`. The banner
 * prints commands that work as printed (tested by apps/daemon/test/e2e/embedded.e2e.test.ts).
 */
export async function startEmbedded(args: DemoArgs): Promise<number> {
  const panelSim = await loadPanelSim()
  if (!panelSim) {
    process.stderr.write(
      'Error: the demo needs the Panel simulator, which only a checkout of the repository has ' +
        '(run ./dev start there); a release runs a node with --config\n',
    )
    return EXIT_CODES.unavailable
  }
  const { startPanelSim, sampleFixture, ensureSampleImage } = panelSim
  const home = path.resolve('.data/embedded')
  if (!(await portFree(EMBEDDED_PORT))) {
    process.stderr.write(
      `Error: cannot listen on 127.0.0.1:${EMBEDDED_PORT}: another process already uses the ` +
        'port; stop it or set WINGS_EMBEDDED_PORT to a free port\n',
    )
    return EXIT_CODES.system
  }
  await mkdir(home, { recursive: true, mode: 0o700 })
  let choice
  try {
    choice = await chooseEmbeddedEnvironment({
      requested: process.env['WINGS_ENVIRONMENT'],
      dockerAnswers,
      buildSampleImage: ensureSampleImage,
    })
  } catch (err) {
    process.stderr.write(`Error: WINGS_ENVIRONMENT=docker, but ${(err as Error).message}\n`)
    return EXIT_CODES.unavailable
  }
  const { environment } = choice
  const tokenId = randomBytes(8).toString('hex')
  const token = randomBytes(32).toString('hex')
  const fixture = sampleFixture({ environment })
  // A sample server of this checkout: two checkouts (or a test run) on one Docker engine must not
  // share a container name or a host port.
  const sampleUuid = uuidOf(home)
  const port = await freePort()
  const servers = (fixture.servers ?? []).map((server) => ({
    ...server,
    uuid: sampleUuid,
    allocations: [{ ip: '127.0.0.1', port }],
  }))
  const sim = await startPanelSim({
    node: { uuid: randomUUID(), tokenId, token, daemonUrl: `http://127.0.0.1:${EMBEDDED_PORT}` },
    fixture: { ...fixture, servers },
    // Tokens as the current Panel signs them (with a scope).
    panelVersion: '1.12',
  })
  const configPath = path.join(home, 'config.yml')
  await writeFile(
    configPath,
    embeddedConfigYaml({ home, tokenId, token, remote: sim.url, environment }),
    { mode: 0o600 },
  )
  const daemon = await startOrExplain(async () => ({
    loaded: await loadConfig({ path: configPath }),
    debug: args.debug,
  }))
  if (typeof daemon === 'number') {
    await sim.close()
    return daemon
  }
  process.stdout.write(
    banner({
      daemonUrl: daemon.url,
      simUrl: sim.url,
      token,
      server: sampleUuid,
      environment: `${environment} ${choice.note}`.trim(),
      configPath,
    }),
  )
  return runUntilSignal(daemon, () => sim.close())
}

/** The Panel simulator, an optional dependency: a release leaves it out. */
async function loadPanelSim(): Promise<typeof import('@node/panel-sim') | undefined> {
  try {
    return await import('@node/panel-sim')
  } catch (err) {
    const missing =
      (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' &&
      (err as Error).message.includes("'@node/panel-sim'")
    if (missing) return undefined
    throw err
  }
}

interface BannerFacts {
  readonly daemonUrl: string
  readonly simUrl: string
  readonly token: string
  readonly server: string
  readonly environment: string
  readonly configPath: string
}

/** What runs where, then one exact command per thing to try, each on its own line. */
function banner(f: BannerFacts): string {
  const auth = `-H 'Authorization: Bearer ${f.token}'`
  const server = `${f.daemonUrl}/api/servers/${f.server}`
  return [
    '',
    'Embedded mode: a Panel simulator and the daemon, on loopback only.',
    `  daemon API     ${f.daemonUrl}   (Authorization: Bearer ${f.token})`,
    `  panel sim      ${f.simUrl}`,
    `  environment    ${f.environment}`,
    `  sample server  ${f.server}`,
    `  config.yml     ${f.configPath}`,
    '',
    'Try it from another terminal:',
    '  list the servers',
    `    curl -s ${auth} ${f.daemonUrl}/api/servers`,
    '  start the sample server',
    `    curl -s -X POST ${auth} -H 'Content-Type: application/json' -d '{"action":"start"}' ${server}/power`,
    '  read its console',
    `    curl -s ${auth} '${server}/logs?size=20'`,
    "  open its console websocket as the Panel's browser does (type a command, Ctrl-D to leave)",
    `    ${DEV} console ${f.simUrl} ${f.server}`,
    '  download a file through a link the Panel signs',
    `    curl -sL '${f.simUrl}/__sim/servers/${f.server}/download?file=server.properties'`,
    '',
    f.environment.startsWith('docker')
      ? "Stop with Ctrl-C. The sample server's container runs on; the next start adopts it."
      : 'Stop with Ctrl-C.',
    '',
  ].join('\n')
}

interface EmbeddedConfig {
  readonly home: string
  readonly tokenId: string
  readonly token: string
  readonly remote: string
  readonly environment: 'docker' | 'process'
}

function embeddedConfigYaml(c: EmbeddedConfig): string {
  return [
    'debug: false',
    `uuid: ${randomUUID()}`,
    `token_id: ${c.tokenId}`,
    `token: ${c.token}`,
    'api:',
    '  host: 127.0.0.1',
    `  port: ${EMBEDDED_PORT}`,
    'system:',
    `  root_directory: ${c.home}/lib`,
    `  log_directory: ${c.home}/log`,
    `  data: ${c.home}/volumes`,
    `  archive_directory: ${c.home}/archives`,
    `  backup_directory: ${c.home}/backups`,
    `  tmp_directory: ${c.home}/tmp`,
    `  environment: ${c.environment}`,
    // A demo must not install a logrotate file for its throw-away log directory.
    '  enable_log_rotate: false',
    '  sftp:',
    '    bind_address: 127.0.0.1',
    '    bind_port: 2022',
    `remote: ${c.remote}`,
    '',
  ].join('\n')
}

/** A stable UUID for a directory: the same sample server every time this checkout starts. */
function uuidOf(dir: string): string {
  const b = createHash('sha256').update(`node-daemon embedded sample ${dir}`).digest()
  // Shaped as a version 4 UUID (version and variant bits), as the Panel generates them.
  b.writeUInt8((b.readUInt8(6) & 0x0f) | 0x40, 6)
  b.writeUInt8((b.readUInt8(8) & 0x3f) | 0x80, 8)
  const hex = b.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

async function dockerAnswers(): Promise<boolean> {
  const { default: Docker } = await import('dockerode')
  return new Docker()
    .ping()
    .then(() => true)
    .catch(() => false)
}

/** Whether `port` on loopback can be bound right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}

/** A TCP port free on loopback right now (the sample server's allocation). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })
}
