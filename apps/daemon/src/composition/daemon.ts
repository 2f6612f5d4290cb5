import { mkdir } from 'node:fs/promises'

import Docker from 'dockerode'

import { SqliteActivityStore } from '@node/activity'
import { adoptServers } from '@node/servers'

import { ConfigInvalidError, type LoadedConfig } from '../config/load-config.js'
import { writeConfigBack } from '../config/save-config.js'
import {
  apiListenOptions,
  daemonPaths,
  metricsListenOptions,
  type DaemonPaths,
} from '../config/to-options.js'
import {
  createWinstonLogger,
  prepareLogDirectory,
  type DaemonLogger,
} from '../logging/winston-logger.js'
import { installLogrotateConfig } from '../logging/logrotate.js'
import { daemonVersion } from '../version.js'
import { rejectUpgrade } from '../websocket/websocket-endpoint.js'
import { bindApi, type ApiListener } from './api-listener.js'
import { createContainer } from './container.js'
import { LiveConfig } from './live-config.js'
import { resolveNodeIdentity } from './node-identity.js'
import { loadTokenScopeMemory } from './token-scope-memory.js'
import { startupProblems } from './startup-checks.js'
import {
  dockerFailure,
  fileSystemFailure,
  panelFailure,
  systemUserFailure,
} from './startup-error.js'
import { Tokens } from './tokens.js'

/**
 * How long each child process of the process environment may take to stop when the daemon stops
 * (its stop command, then SIGKILL). Containers are not stopped: they run on.
 */
export const PROCESS_STOP_GRACE_MS = 30_000

export interface StartDaemonOptions {
  readonly loaded: LoadedConfig
  /** `--debug`: debug logging for this run only. */
  readonly debug: boolean
  /** Overrides the console stream of the logger (tests, embedded mode). */
  readonly console?: boolean | NodeJS.WritableStream
  /** `--ignore-certificate-errors` */
  readonly ignoreCertificateErrors?: boolean
}

export interface RunningDaemon {
  readonly logger: DaemonLogger
  /** The API's base URL as bound (the port is the real one when the config says 0). */
  readonly url: string
  /** Stops serving; child processes of the process environment are stopped (see release). */
  close(): Promise<void>
  /** A second stop signal: child processes are killed at once; close() then finishes quickly. */
  abort(): Promise<void>
}

/**
 * Boots the daemon as Wings does (behaviour §1), but checks the whole configuration and binds the
 * API's port before it changes anything: directories, logging, the Panel client, every server of
 * this node, then the API answers. Resolves once the API serves. Rejects with ConfigInvalidError
 * for a configuration that cannot start, StartupError for a failure the operator can fix.
 */
export async function startDaemon(options: StartDaemonOptions): Promise<RunningDaemon> {
  const { loaded } = options
  const problems = await startupProblems(loaded.config)
  if (problems.length > 0) throw new ConfigInvalidError(loaded.path, problems)
  const listen = apiListenOptions(loaded.config)
  const api = await bindApi(listen)
  let metrics: ApiListener | undefined
  let logger: DaemonLogger | undefined
  try {
    const metricsListen = metricsListenOptions(loaded.config)
    if (metricsListen) metrics = await bindApi(metricsListen, 'metrics.host or metrics.port')
    const identity = await resolveNodeIdentity(loaded.config).catch((err: unknown) => {
      throw systemUserFailure(err, loaded.config.system.username)
    })
    const live = new LiveConfig(identity)
    const paths = daemonPaths(live.current())
    await prepareLogDirectory(paths.logDirectory).catch((err: unknown) => {
      throw fileSystemFailure(err, 'the log directory')
    })
    logger = createWinstonLogger({
      debug: options.debug || live.current().debug,
      logDirectory: paths.logDirectory,
      console: options.console ?? true,
      secrets: [live.current().token],
    })
    return await serve({ ...options, live, paths, logger, api, metrics })
  } catch (err) {
    api.close()
    metrics?.close()
    await logger?.close()
    throw err
  }
}

interface ServeOptions extends StartDaemonOptions {
  readonly live: LiveConfig
  readonly paths: DaemonPaths
  readonly logger: DaemonLogger
  readonly api: ApiListener
  /** The metrics listener, when `metrics.enabled`. */
  readonly metrics: ApiListener | undefined
}

async function serve(options: ServeOptions): Promise<RunningDaemon> {
  const { loaded, live, paths, logger, api, metrics } = options
  const config = live.current()
  // logrotate moves the file away and sends SIGHUP (docs/operations.md).
  const reopenLog = (): void => {
    logger.reopen().catch((err: unknown) => logger.error('failed to reopen the log file', { err }))
  }
  live.onChange((next) => {
    logger.setDebug(options.debug || next.debug)
    logger.setSecrets([next.token])
  })
  if (loaded.unknownKeys.length > 0) {
    logger.warn('configuration has keys this daemon does not use; they are kept', {
      keys: loaded.unknownKeys,
    })
  }
  for (const [dir, what] of [
    [paths.rootDirectory, 'the root directory'],
    [paths.dataDirectory, 'the data directory'],
    [paths.archiveDirectory, 'the archive directory'],
    [paths.backupDirectory, 'the backup directory'],
  ] as const) {
    await mkdir(dir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
      throw fileSystemFailure(err, what)
    })
  }
  const rotation = await installLogrotateConfig({
    enabled: config.system.enable_log_rotate,
    logDirectory: paths.logDirectory,
  }).catch((err: unknown) => {
    throw fileSystemFailure(err, 'the logrotate file')
  })
  if (rotation === 'written') logger.info('wrote /etc/logrotate.d/wings for wings.log')

  const tokenScope = await loadTokenScopeMemory(
    paths.tokenScopeFile,
    logger.child({ component: 'jwt' }),
  )
  const activityStore = await SqliteActivityStore.open({ file: paths.activityDatabase }).catch(
    (err: unknown) => {
      throw fileSystemFailure(err, 'the activity database')
    },
  )
  const docker = config.system.environment === 'docker' ? new Docker() : undefined
  const container = createContainer({
    activityStore,
    live,
    configFile: loaded,
    logger,
    paths,
    version: await daemonVersion(),
    docker,
    ignoreCertificateErrors: options.ignoreCertificateErrors ?? false,
    tokenScope,
  })
  // Its construction instant is the boot time before which user tokens are refused.
  container.resolve(Tokens.TokenDenyList)
  const environment = container.resolve(Tokens.NodeEnvironment)
  await environment.prepare().catch((err: unknown) => {
    throw dockerFailure(err)
  })
  const panel = container.resolve(Tokens.PanelGateway)
  const activity = container.resolve(Tokens.ActivityLog)
  const servers = container.resolve(Tokens.NodeServers)
  let savedStates
  try {
    savedStates = await servers.load()
  } catch (err) {
    panel.close()
    await activity.close()
    throw panelFailure(err, config.remote)
  }
  await writeConfigBack(loaded, live.current(), logger).catch((err: unknown) => {
    throw fileSystemFailure(err, 'the configuration file')
  })
  await adoptServers(servers.all(), savedStates)

  const websockets = container.resolve(Tokens.WebsocketEndpoint)
  api.serve(container.resolve(Tokens.HttpApp), (req, socket, head) => {
    if (websockets.handles(req)) websockets.handleUpgrade(req, socket, head)
    else rejectUpgrade(socket, 404, '')
  })
  if (metrics) {
    metrics.serve(container.resolve(Tokens.MetricsEndpoint), (_req, socket) =>
      rejectUpgrade(socket, 404, ''),
    )
    logger.info('serving /metrics', { host: config.metrics.host, port: metrics.port })
  }
  process.on('SIGHUP', reopenLog)
  logger.info('configured daemon HTTP API', {
    host: config.api.host,
    port: api.port,
    tls: config.api.ssl.enabled,
  })
  servers.reportReady()
  activity.start()

  return {
    logger,
    url: api.url,
    async close() {
      websockets.close()
      api.close()
      metrics?.close()
      // States saved; processes left running (containers are adopted at the next boot).
      await servers.close()
      // Saved states say what ran: child processes are started again at the next boot.
      await environment.release(PROCESS_STOP_GRACE_MS)
      await activity.close()
      panel.close()
      process.off('SIGHUP', reopenLog)
      await logger.close()
    },
    abort: () => environment.releaseNow(),
  }
}
