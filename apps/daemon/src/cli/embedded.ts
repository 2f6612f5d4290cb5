import { randomBytes, randomUUID } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { loadConfig } from '../config/load-config.js'
import type { StartArgs } from './args.js'
import { runUntilSignal, startOrExplain } from './start.js'

const EMBEDDED_PORT = Number(process.env['WINGS_EMBEDDED_PORT'] ?? 8080)

/**
 * The embedded default: a Panel simulator and the daemon on loopback, with a generated
 * configuration and a sample server, all under `.data/embedded/` of the working directory.
 * For trying the daemon out and for demos; a real node runs with `--config`.
 */
export async function startEmbedded(args: StartArgs): Promise<number> {
  const { startPanelSim, sampleFixture } = await import('@node/panel-sim')
  const home = path.resolve('.data/embedded')
  await mkdir(home, { recursive: true, mode: 0o700 })
  const tokenId = randomBytes(8).toString('hex')
  const token = randomBytes(32).toString('hex')
  const environment = (await dockerAnswers()) ? 'docker' : 'process'
  const sim = await startPanelSim({
    node: { uuid: randomUUID(), tokenId, token, daemonUrl: `http://127.0.0.1:${EMBEDDED_PORT}` },
    fixture: sampleFixture({ environment }),
  })
  const configPath = path.join(home, 'config.yml')
  await writeFile(
    configPath,
    embeddedConfigYaml({ home, tokenId, token, remote: sim.url, environment }),
    {
      mode: 0o600,
    },
  )
  const daemon = await startOrExplain(async () => ({
    loaded: await loadConfig({ path: configPath }),
    debug: args.debug,
  }))
  if (typeof daemon === 'number') {
    await sim.close()
    return daemon
  }
  const sample = sim.servers()[0]
  process.stdout.write(
    [
      '',
      'Embedded mode: a Panel simulator and the daemon, on loopback only.',
      `  daemon API     ${daemon.url}   (Authorization: Bearer ${token})`,
      `  panel sim      ${sim.url}`,
      `  environment    ${environment}${environment === 'process' ? ' (no Docker engine answered)' : ''}`,
      `  sample server  ${sample?.uuid ?? 'none'}`,
      `  config.yml     ${configPath}`,
      '',
      `  try: curl -s -H 'Authorization: Bearer ${token}' ${daemon.url}/api/servers`,
      '',
    ].join('\n'),
  )
  return runUntilSignal(daemon, () => sim.close())
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
    '  sftp:',
    '    bind_address: 127.0.0.1',
    '    bind_port: 2022',
    `remote: ${c.remote}`,
    '',
  ].join('\n')
}

async function dockerAnswers(): Promise<boolean> {
  const { default: Docker } = await import('dockerode')
  return new Docker()
    .ping()
    .then(() => true)
    .catch(() => false)
}
