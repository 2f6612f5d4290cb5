import { readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import Docker from 'dockerode'

import { probeJailMode, type ModeProbe } from '@node/filesystem-jail'

import { loadConfig, type LoadConfigOptions } from '../config/load-config.js'
import type { DaemonConfig } from '../config/schema.js'
import { readLastLines } from '../logging/read-last-lines.js'
import { redactText } from '../logging/redact.js'
import { LOG_FILE_NAME } from '../logging/winston-logger.js'
import type { DiagnosticsArgs } from './args.js'
import type { CliIo } from './configure.js'

/** What the report reads from Docker; a Dockerode instance fits. */
export type DockerInfoSource = Pick<Docker, 'version' | 'info' | 'listContainers'>

/** The configuration the report describes: a file to load (the CLI), or the running one. */
type DiagnosticsConfig =
  | { readonly configPath: string }
  | { readonly loaded: { readonly path: string; readonly config: DaemonConfig } }

export type DiagnosticsOptions = DiagnosticsConfig & DiagnosticsSettings

interface DiagnosticsSettings {
  /** The daemon's version (package.json `version`, or `develop`). */
  readonly version: string
  readonly cwd?: string
  readonly env?: LoadConfigOptions['env']
  readonly logLines: number
  readonly includeEndpoints: boolean
  readonly includeLogs: boolean
  /** Default: the local engine (DOCKER_HOST or /var/run/docker.sock). */
  readonly docker?: DockerInfoSource
  /** Per Docker call; default 10 s. */
  readonly dockerTimeoutMs?: number
  /** Which backend the filesystem jail runs on here; default: the jail's own probe. */
  readonly jailProbe?: () => Promise<ModeProbe>
}

const HIDDEN = '{redacted}'

/**
 * The text of `wings diagnostics`: versions (daemon, Node.js, OS, kernel), a summary of the
 * configuration (secrets always masked; Panel URL, addresses and certificate paths masked unless
 * `includeEndpoints`), the filesystem jail's backend (the native addon loaded, or why not),
 * Docker's info and running containers, and the last log lines (redacted).
 * Every section reports its own failure instead of failing the report.
 */
export async function collectDiagnostics(options: DiagnosticsOptions): Promise<string> {
  const docker = options.docker ?? new Docker()
  const timeoutMs = options.dockerTimeoutMs ?? 10_000
  const [loaded, osName, release, jail, dockerVersion, dockerInfo, containers] = await Promise.all([
    ('loaded' in options
      ? Promise.resolve(options.loaded)
      : loadConfig({
          path: options.configPath,
          ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
          ...(options.env !== undefined ? { env: options.env } : {}),
        })
    ).then(
      (l) => ({ ok: true as const, config: l.config, path: l.path }),
      (err: unknown) => ({
        ok: false as const,
        error: err instanceof Error ? err.message : String(err),
      }),
    ),
    operatingSystem(),
    releaseOf(),
    settle((options.jailProbe ?? probeJailMode)()),
    settle(withTimeout(docker.version(), timeoutMs, 'docker version')),
    settle(
      withTimeout(docker.info() as Promise<Record<string, unknown>>, timeoutMs, 'docker info'),
    ),
    settle(withTimeout(docker.listContainers(), timeoutMs, 'docker ps')),
  ])
  const config = loaded.ok ? loaded.config : undefined
  const secrets = config ? [config.token] : []
  const out: string[] = ['Node daemon (Wings-compatible) - Diagnostics Report']

  header(out, 'Versions')
  line(out, 'Daemon', options.version)
  if (release) line(out, 'Release', release)
  line(out, 'Node.js', process.version)
  if (dockerVersion.ok) line(out, 'Docker', dockerVersion.value.Version)
  line(out, 'Kernel', os.release())
  line(out, 'OS', osName)
  line(out, 'Architecture', process.arch)

  header(out, 'Configuration')
  if (!loaded.ok) {
    out.push(loaded.error)
  } else {
    summarize(out, loaded.config, loaded.path, options.includeEndpoints)
  }

  header(out, 'Filesystem Jail')
  if (!jail.ok) line(out, 'Backend', `unusable: ${jail.error}`)
  else if (jail.value.nativeUnavailable === undefined) {
    line(out, 'Backend', `${jail.value.mode} (native addon loaded)`)
  } else line(out, 'Backend', `${jail.value.mode} (pure JS; ${jail.value.nativeUnavailable})`)

  header(out, 'Docker: Info')
  if (dockerInfo.ok) describeDocker(out, dockerInfo.value)
  else out.push(`Docker is not reachable: ${dockerInfo.error}`)

  header(out, 'Docker: Running Containers')
  if (!containers.ok) out.push(`Couldn't list containers: ${containers.error}`)
  else if (containers.value.length === 0) out.push('(none)')
  else {
    for (const c of containers.value) {
      out.push(`${c.Id.slice(0, 12)}  ${c.Image}  ${c.Status}  ${c.Names.join(',')}`)
    }
  }

  header(out, 'Latest Daemon Logs')
  if (!options.includeLogs) out.push('Logs redacted.')
  else {
    const logDirectory = config?.system.log_directory ?? '/var/log/pterodactyl'
    const file = path.resolve(options.cwd ?? process.cwd(), logDirectory, LOG_FILE_NAME)
    try {
      const lines = await readLastLines(file, options.logLines)
      out.push(...lines.map((l) => redactText(l, secrets)))
    } catch {
      out.push(`No logs found or an error occurred (${file}).`)
    }
  }

  let report = out.join('\n') + '\n'
  if (!options.includeEndpoints && config && config.remote !== '') {
    report = report.split(config.remote).join(HIDDEN)
  }
  return report
}

/** `wings diagnostics`: prints the report. Resolves with the exit code. */
export async function diagnosticsCommand(
  args: DiagnosticsArgs,
  io: CliIo,
  options: { readonly version: string; readonly docker?: DockerInfoSource },
): Promise<number> {
  const report = await collectDiagnostics({
    version: options.version,
    configPath: args.config,
    logLines: args.logLines,
    includeEndpoints: args.includeEndpoints,
    includeLogs: args.includeLogs,
    ...(options.docker ? { docker: options.docker } : {}),
  })
  io.stdout.write(
    `\n---------------  generated report  ---------------\n${report}---------------   end of report    ---------------\n`,
  )
  return 0
}

function summarize(
  out: string[],
  config: DaemonConfig,
  file: string,
  includeEndpoints: boolean,
): void {
  const endpoint = (value: string): string => (includeEndpoints || value === '' ? value : HIDDEN)
  line(out, 'File', file)
  line(out, 'Panel Location', endpoint(config.remote))
  line(out, 'Node UUID', config.uuid)
  line(out, 'Token ID', config.token_id)
  line(out, 'Token', config.token === '' ? '(not set)' : '[redacted]')
  out.push('')
  line(out, 'Internal Webserver', `${endpoint(config.api.host)}:${config.api.port}`)
  line(out, 'SSL Enabled', String(config.api.ssl.enabled))
  line(out, 'SSL Certificate', endpoint(config.api.ssl.cert))
  line(out, 'SSL Key', endpoint(config.api.ssl.key))
  out.push('')
  line(
    out,
    'SFTP Server',
    `${endpoint(config.system.sftp.bind_address)}:${config.system.sftp.bind_port}`,
  )
  line(out, 'SFTP Read-Only', String(config.system.sftp.read_only))
  out.push('')
  line(out, 'Root Directory', config.system.root_directory)
  line(out, 'Logs Directory', config.system.log_directory)
  line(out, 'Data Directory', config.system.data)
  line(out, 'Archive Directory', config.system.archive_directory)
  line(out, 'Backup Directory', config.system.backup_directory)
  out.push('')
  line(out, 'Username', config.system.username)
  line(out, 'Environment', config.system.environment)
  line(out, 'Server Time', new Date().toString())
  line(out, 'Debug Mode', String(config.debug))
}

function describeDocker(out: string[], info: Record<string, unknown>): void {
  const text = (key: string): string => {
    const value = info[key]
    return typeof value === 'string' || typeof value === 'number' ? String(value) : ''
  }
  line(out, 'Server Version', text('ServerVersion'))
  line(out, 'Storage Driver', text('Driver'))
  for (const pair of pairs(info['DriverStatus'])) out.push(`    ${pair}`)
  line(out, 'Logging Driver', text('LoggingDriver'))
  line(out, 'Cgroup Driver', `${text('CgroupDriver')} (v${text('CgroupVersion')})`)
  line(
    out,
    'Containers',
    `${text('Containers')} (running ${text('ContainersRunning')}, paused ${text('ContainersPaused')}, stopped ${text('ContainersStopped')})`,
  )
  const warnings = info['Warnings']
  if (Array.isArray(warnings)) for (const w of warnings) out.push(String(w))
}

function pairs(value: unknown): string[] {
  if (!Array.isArray(value)) return []
  return value
    .filter((p): p is unknown[] => Array.isArray(p) && p.length >= 2)
    .map((p) => `${String(p[0])}: ${String(p[1])}`)
}

/** The release this daemon runs from (`release.json` at its top, written by `pnpm release`). */
async function releaseOf(): Promise<string | undefined> {
  try {
    const text = await readFile(new URL('../../../release.json', import.meta.url), 'utf8')
    const info = JSON.parse(text) as { name?: unknown; commit?: unknown; built?: unknown }
    return `${String(info.name)} (commit ${String(info.commit)}, built ${String(info.built)})`
  } catch {
    return undefined
  }
}

async function operatingSystem(): Promise<string> {
  try {
    const text = await readFile('/etc/os-release', 'utf8')
    const field = (name: string): string | undefined =>
      new RegExp(`^${name}=(?:"([^"]*)"|(.*))$`, 'm')
        .exec(text)
        ?.slice(1)
        .find((v) => v !== undefined)
    return field('PRETTY_NAME') ?? field('NAME') ?? `${os.type()} ${os.release()}`
  } catch {
    return `${os.type()} ${os.release()}`
  }
}

function header(out: string[], title: string): void {
  out.push('', '|', `| ${title}`, '| ------------------------------')
}

function line(out: string[], label: string, value: string): void {
  out.push(`${label.padStart(20)}: ${value}`)
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: string }

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (err: unknown) => ({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  )
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
