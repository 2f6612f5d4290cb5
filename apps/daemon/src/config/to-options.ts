import path from 'node:path'

import type { ActivitySettings } from '@node/activity'
import { configValueResolverFrom } from '@node/config-files'
import type { ServersSettings } from '@node/servers'

import type { WebsocketLimits } from '../websocket/websocket-endpoint.js'
import type { DaemonConfig } from './schema.js'

/** What the Panel client needs (panel-remote-calls.md §1). */
export interface PanelClientSettings {
  /** The Panel's root URL without trailing slashes; calls go to `<baseUrl>/api/remote/...`. */
  readonly baseUrl: string
  readonly tokenId: string
  readonly token: string
  /** Per-attempt timeout: `remote_query.timeout` seconds. */
  readonly timeoutMs: number
  readonly bootServersPerPage: number
}

export function panelClientOptions(config: DaemonConfig): PanelClientSettings {
  return {
    baseUrl: config.remote.replace(/\/+$/, ''),
    tokenId: config.token_id,
    token: config.token,
    timeoutMs: config.remote_query.timeout * 1000,
    bootServersPerPage: config.remote_query.boot_servers_per_page,
  }
}

/** Every file and directory the daemon owns (behaviour.md §16), as absolute paths. */
export interface DaemonPaths {
  readonly rootDirectory: string
  readonly logDirectory: string
  readonly dataDirectory: string
  readonly archiveDirectory: string
  readonly backupDirectory: string
  readonly tmpDirectory: string
  /** `<root_directory>/states.json` */
  readonly statesFile: string
  /** `<root_directory>/token-scope.json`: whether the Panel was seen signing scoped tokens. */
  readonly tokenScopeFile: string
  /** `<root_directory>/wings.db` */
  readonly activityDatabase: string
  /** `<root_directory>/.tls-cache` */
  readonly tlsCacheDirectory: string
  /** `<log_directory>/wings.log` */
  readonly logFile: string
  /** `<log_directory>/install` (one `<uuid>.log` per install) */
  readonly installLogDirectory: string
  /** `<data>/.sftp/id_ed25519` */
  readonly sftpHostKey: string
}

/** Relative directories in the file are taken relative to `cwd`, as Wings' process would. */
export function daemonPaths(config: DaemonConfig, cwd: string = process.cwd()): DaemonPaths {
  const abs = (p: string): string => path.resolve(cwd, p)
  const root = abs(config.system.root_directory)
  const logs = abs(config.system.log_directory)
  const data = abs(config.system.data)
  return {
    rootDirectory: root,
    logDirectory: logs,
    dataDirectory: data,
    archiveDirectory: abs(config.system.archive_directory),
    backupDirectory: abs(config.system.backup_directory),
    tmpDirectory: abs(config.system.tmp_directory),
    statesFile: path.join(root, 'states.json'),
    tokenScopeFile: path.join(root, 'token-scope.json'),
    activityDatabase: path.join(root, 'wings.db'),
    tlsCacheDirectory: path.join(root, '.tls-cache'),
    logFile: path.join(logs, 'wings.log'),
    installLogDirectory: path.join(logs, 'install'),
    sftpHostKey: path.join(data, '.sftp', 'id_ed25519'),
  }
}

/** The HTTP listener (http-api.md §1). */
export interface ApiListenSettings {
  readonly host: string
  readonly port: number
  /** Present when `api.ssl.enabled`: PEM file paths. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string }
  readonly uploadLimitBytes: number
  readonly trustedProxies: readonly string[]
  readonly disableRemoteDownload: boolean
}

export function apiListenOptions(config: DaemonConfig): ApiListenSettings {
  const { api } = config
  return {
    host: api.host,
    port: api.port,
    ...(api.ssl.enabled ? { tls: { certFile: api.ssl.cert, keyFile: api.ssl.key } } : {}),
    uploadLimitBytes: api.upload_limit * 1024 * 1024,
    trustedProxies: api.trusted_proxies,
    disableRemoteDownload: api.disable_remote_download,
  }
}

/** The SFTP listener (behaviour.md §11). */
export interface SftpListenSettings {
  readonly host: string
  readonly port: number
  readonly readOnly: boolean
  readonly hostKeyFile: string
}

export function sftpListenOptions(
  config: DaemonConfig,
  cwd: string = process.cwd(),
): SftpListenSettings {
  return {
    host: config.system.sftp.bind_address,
    port: config.system.sftp.bind_port,
    readOnly: config.system.sftp.read_only,
    hostKeyFile: daemonPaths(config, cwd).sftpHostKey,
  }
}

/** The `system.activity_*` keys; an interval or a count below 1 counts as 1. */
export function activitySettings(config: DaemonConfig): ActivitySettings {
  const system = config.system
  return {
    sendIntervalMs: Math.max(1, system.activity_send_interval) * 1000,
    sendCount: Math.max(1, system.activity_send_count),
    maxRows: system.activity_max_rows,
    maxRowsPerServer: system.activity_max_rows_per_server,
  }
}

/** `Search`: how far `files/search` looks [pelican]. */
export function searchSettings(config: DaemonConfig): {
  readonly maxDepth: number
  readonly excludedDirectories: readonly string[]
} {
  return {
    maxDepth: config.Search.max_recursion_depth,
    excludedDirectories: config.Search.blacklisted_dirs,
  }
}

/** The `metrics` listener, or undefined when `metrics.enabled` is false. */
export interface MetricsListenSettings {
  readonly host: string
  readonly port: number
  /** Empty: scrapes need no credential. */
  readonly token: string
}

export function metricsListenOptions(config: DaemonConfig): MetricsListenSettings | undefined {
  const { metrics } = config
  if (!metrics.enabled) return undefined
  return { host: metrics.host, port: metrics.port, token: metrics.token }
}

/** `api.websocket`: the console websocket's limits (websocket.md §1, §2, §5). */
export function websocketLimits(config: DaemonConfig): Partial<WebsocketLimits> {
  const ws = config.api.websocket
  const rate = (r: { burst: number; refill_interval: number }) => ({
    burst: r.burst,
    refillMs: r.refill_interval,
  })
  return {
    perServer: ws.max_connections_per_server,
    unauthenticated: ws.max_unauthenticated_connections,
    maxFrameBytes: ws.max_frame_size,
    rates: {
      global: rate(ws.rate_limits.global),
      auth: rate(ws.rate_limits.auth),
      logs: rate(ws.rate_limits.logs),
      command: rate(ws.rate_limits.command),
      other: rate(ws.rate_limits.other),
    },
  }
}

/** What the server use cases read (@node/servers), derived once per configuration. */
export function serversSettings(config: DaemonConfig): ServersSettings {
  const { system } = config
  return {
    timezone: system.timezone,
    user: { uid: system.user.uid, gid: system.user.gid },
    fixPermissionsOnStart: system.check_permissions_on_boot,
    diskCheckIntervalMs: system.disk_check_interval * 1000,
    bootServersPerPage: config.remote_query.boot_servers_per_page,
    power: {
      appName: config.app_name,
      crashDetection: {
        enabled: system.crash_detection.enabled,
        detectCleanExitAsCrash: system.crash_detection.detect_clean_exit_as_crash,
        timeoutSeconds: system.crash_detection.timeout,
      },
      throttle: {
        lines: config.throttles.lines,
        intervalMs: config.throttles.line_reset_interval,
      },
    },
    configValues: configValueResolverFrom(config),
  }
}
