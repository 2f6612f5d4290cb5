import { mkdir } from 'node:fs/promises'

import Docker from 'dockerode'

import { compressFiles, decompressArchive } from '@node/filesystem-jail'

import { openActivityLog } from '../activity/open-activity-log.js'
import { daemonVersion } from '../cli/run-cli.js'
import { ConfigInvalidError, type LoadedConfig } from '../config/load-config.js'
import { saveConfig, writeConfigBack } from '../config/save-config.js'
import {
  apiListenOptions,
  daemonPaths,
  websocketLimits,
  type DaemonPaths,
} from '../config/to-options.js'
import { clientIpOf } from '../http/client-ip.js'
import { createHttpApp } from '../http/app.js'
import { downloadUploadRoutes } from '../http/routes/download-upload.routes.js'
import { filesRoutes } from '../http/routes/files.routes.js'
import { powerRoutes } from '../http/routes/power.routes.js'
import { RemoteDownloads } from '../files/pull/remote-downloads.js'
import { serversRoutes } from '../http/routes/servers.routes.js'
import { systemRoutes } from '../http/routes/system.routes.js'
import { updateRoutes } from '../http/routes/update.routes.js'
import {
  createWinstonLogger,
  prepareLogDirectory,
  type DaemonLogger,
} from '../logging/winston-logger.js'
import { installLogrotateConfig } from '../logging/logrotate.js'
import { detailedSystemInfo, legacySystemInfo } from '../system/system-info.js'
import { rejectUpgrade, WebsocketEndpoint } from '../websocket/websocket-endpoint.js'
import { websocketRoutes } from '../websocket/websocket-routes.js'
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
  let logger: DaemonLogger | undefined
  try {
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
    return await serve({ ...options, live, paths, logger, api })
  } catch (err) {
    api.close()
    await logger?.close()
    throw err
  }
}

interface ServeOptions extends StartDaemonOptions {
  readonly live: LiveConfig
  readonly paths: DaemonPaths
  readonly logger: DaemonLogger
  readonly api: ApiListener
}

async function serve(options: ServeOptions): Promise<RunningDaemon> {
  const { loaded, live, paths, logger, api } = options
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
  const version = await daemonVersion()
  const docker = config.system.environment === 'docker' ? new Docker() : undefined
  const container = createContainer({
    live,
    logger,
    paths,
    version,
    docker,
    ignoreCertificateErrors: options.ignoreCertificateErrors ?? false,
    tokenScope,
  })
  const environment = container.resolve(Tokens.NodeEnvironment)
  await environment.prepare().catch((err: unknown) => {
    throw dockerFailure(err)
  })
  const servers = container.resolve(Tokens.ServerService)
  const runtimes = container.resolve(Tokens.ServerRuntimes)
  const jails = container.resolve(Tokens.ServerJails)
  const tokens = container.resolve(Tokens.TokenVerifier)
  const panel = container.resolve(Tokens.PanelGateway)
  const activity = await openActivityLog({
    file: paths.activityDatabase,
    config: () => live.current(),
    panel,
    logger: logger.child({ component: 'activity' }),
  }).catch((err: unknown) => {
    throw fileSystemFailure(err, 'the activity database')
  })
  const websockets = new WebsocketEndpoint({
    server: (uuid) => servers.get(uuid),
    tokens,
    actions: {
      // The websocket never waits for the power lock (behaviour §3.1).
      power: (server, action) => runtimes.of(server).power(action, { waitMs: 0 }),
      sendCommand: (server, command) => runtimes.sendCommands(server, [command]),
      isRunning: (server) => runtimes.isRunning(server),
      readLog: (server, lines) => runtimes.readLog(server, lines),
    },
    settings: () => {
      const current = live.current()
      return {
        remote: current.remote,
        allowedOrigins: current.allowed_origins,
        logCount: current.system.websocket_log_count,
      }
    },
    logger: logger.child({ component: 'websocket' }),
    limits: websocketLimits(config),
    activity,
    clientIp: clientIpOf(apiListenOptions(config).trustedProxies),
  })
  servers.addHooks({
    // [v1.12] a suspension or a deauthorized user closes the server's sockets (websocket.md §9).
    synced: (server) => {
      if (server.isSuspended) websockets.closeServer(server)
    },
    deauthorized: (affected) => {
      for (const server of affected) websockets.closeServer(server, 4401, 'user deauthorized')
    },
  })
  const downloads = new RemoteDownloads({ logger: logger.child({ component: 'pull' }) })
  // A deleted server's remote downloads stop (http-api §6.2 step 4).
  servers.addHooks(downloads)
  let savedStates: ReadonlyMap<string, string>
  try {
    savedStates = await servers.boot()
  } catch (err) {
    panel.close()
    await activity.close()
    throw panelFailure(err, config.remote)
  }
  await writeConfigBack(loaded, live.current(), logger).catch((err: unknown) => {
    throw fileSystemFailure(err, 'the configuration file')
  })
  await runtimes.reconcileAll(servers.all(), savedStates)

  const app = createHttpApp({
    logger,
    trustedProxies: apiListenOptions(config).trustedProxies,
    settings: () => {
      const current = live.current()
      return {
        token: current.token,
        remote: current.remote,
        allowedOrigins: current.allowed_origins,
        allowPrivateNetwork: current.allow_cors_private_network,
      }
    },
    publicRoutes: [
      websocketRoutes((uuid) => servers.get(uuid)),
      downloadUploadRoutes({
        get: (uuid) => servers.get(uuid),
        jailOf: (server) => jails.of(server),
        tokens,
        uploadLimitMiB: () => live.current().api.upload_limit,
        activity,
        logger: logger.child({ component: 'files' }),
      }),
    ],
    routes: [
      systemRoutes({
        legacy: () => legacySystemInfo(version),
        detailed: () => detailedSystemInfo(version, docker),
      }),
      updateRoutes({
        current: () => live.current(),
        logger: logger.child({ component: 'config' }),
        persist: async (next) => {
          await saveConfig(loaded.path, next, { envOverrides: loaded.envOverrides })
          live.replace(next)
        },
      }),
      serversRoutes(servers),
      powerRoutes(runtimes),
      filesRoutes({
        get: (uuid) => servers.get(uuid),
        jailOf: (server) => jails.of(server),
        // Read once, as the reference does (http-api §2.5).
        disableRemoteDownload: config.api.disable_remote_download,
        downloads,
        archives: {
          // Level 1, as `tar | pigz -1`: the Panel's request times out after 15 s.
          compress: (jail, options) => compressFiles(jail, { ...options, level: 1 }),
          decompress: decompressArchive,
        },
        logger: logger.child({ component: 'files' }),
      }),
    ],
  })
  api.serve(app, (req, socket, head) => {
    if (websockets.handles(req)) websockets.handleUpgrade(req, socket, head)
    else rejectUpgrade(socket, 404, '')
  })
  process.on('SIGHUP', reopenLog)
  logger.info('configured daemon HTTP API', {
    host: config.api.host,
    port: api.port,
    tls: config.api.ssl.enabled,
  })
  servers.afterBoot()
  activity.start()

  return {
    logger,
    url: api.url,
    async close() {
      websockets.close()
      api.close()
      await servers.shutdown()
      runtimes.closeAll()
      // Saved states say what ran: child processes are started again at the next boot.
      await environment.release(PROCESS_STOP_GRACE_MS)
      await jails.closeAll()
      await activity.close()
      panel.close()
      process.off('SIGHUP', reopenLog)
      await logger.close()
    },
    abort: () => environment.releaseNow(),
  }
}
