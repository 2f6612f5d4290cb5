import { mkdir } from 'node:fs/promises'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { readFile } from 'node:fs/promises'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'

import Docker from 'dockerode'

import { compressFiles, decompressArchive } from '@node/filesystem-jail'

import { daemonVersion } from '../cli/run-cli.js'
import type { LoadedConfig } from '../config/load-config.js'
import { saveConfig } from '../config/save-config.js'
import { apiListenOptions, daemonPaths } from '../config/to-options.js'
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
import { detailedSystemInfo, legacySystemInfo } from '../system/system-info.js'
import { rejectUpgrade, WebsocketEndpoint } from '../websocket/websocket-endpoint.js'
import { websocketRoutes } from '../websocket/websocket-routes.js'
import { createContainer } from './container.js'
import { LiveConfig } from './live-config.js'
import { resolveNodeIdentity } from './node-identity.js'
import { loadTokenScopeMemory } from './token-scope-memory.js'
import { Tokens } from './tokens.js'

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
  close(): Promise<void>
}

/**
 * Boots the daemon as Wings does (behaviour §1): directories, logging, the Panel client, every
 * server of this node, then the HTTP API. Resolves once the API listens.
 */
export async function startDaemon(options: StartDaemonOptions): Promise<RunningDaemon> {
  const { loaded } = options
  const live = new LiveConfig(await resolveNodeIdentity(loaded.config))
  const config = live.current()
  const paths = daemonPaths(config)
  await prepareLogDirectory(paths.logDirectory)
  const logger = createWinstonLogger({
    debug: options.debug || config.debug,
    logDirectory: paths.logDirectory,
    console: options.console ?? true,
    secrets: [config.token],
  })
  // logrotate moves the file away and sends SIGHUP (docs/configuration.md).
  const reopenLog = (): void => {
    logger.reopen().catch((err: unknown) => logger.error('failed to reopen the log file', { err }))
  }
  process.on('SIGHUP', reopenLog)
  live.onChange((next) => {
    logger.setDebug(options.debug || next.debug)
    logger.setSecrets([next.token])
  })
  if (loaded.unknownKeys.length > 0) {
    logger.warn('configuration has keys this daemon does not use; they are kept', {
      keys: loaded.unknownKeys,
    })
  }
  for (const dir of [
    paths.rootDirectory,
    paths.dataDirectory,
    paths.archiveDirectory,
    paths.backupDirectory,
  ]) {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  }

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
  await container.resolve(Tokens.NodeEnvironment).prepare()
  const servers = container.resolve(Tokens.ServerService)
  const runtimes = container.resolve(Tokens.ServerRuntimes)
  const jails = container.resolve(Tokens.ServerJails)
  const tokens = container.resolve(Tokens.TokenVerifier)
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
  const savedStates = await servers.boot()
  await runtimes.reconcileAll(servers.all(), savedStates)

  const listen = apiListenOptions(config)
  const app = createHttpApp({
    logger,
    trustedProxies: listen.trustedProxies,
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
  const http: HttpServer = listen.tls
    ? createHttpsServer(
        {
          cert: await readFile(listen.tls.certFile),
          key: await readFile(listen.tls.keyFile),
          minVersion: 'TLSv1.2',
        },
        app,
      )
    : createHttpServer(app)
  http.on('upgrade', (req, socket, head) => {
    if (websockets.handles(req)) websockets.handleUpgrade(req, socket, head)
    else rejectUpgrade(socket, 404, '')
  })
  http.listen(listen.port, listen.host)
  await Promise.race([
    once(http, 'listening'),
    once(http, 'error').then(([err]) => Promise.reject(err as Error)),
  ])
  const port = (http.address() as AddressInfo).port
  const url = `${listen.tls ? 'https' : 'http'}://${listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host}:${port}`
  logger.info('configured daemon HTTP API', {
    host: listen.host,
    port,
    tls: listen.tls !== undefined,
  })
  servers.afterBoot()

  return {
    logger,
    url,
    async close() {
      websockets.close()
      http.closeAllConnections()
      http.close()
      await servers.shutdown()
      runtimes.closeAll()
      await container.resolve(Tokens.ServerJails).closeAll()
      container.resolve(Tokens.PanelGateway).close()
      process.off('SIGHUP', reopenLog)
      await logger.close()
    },
  }
}
