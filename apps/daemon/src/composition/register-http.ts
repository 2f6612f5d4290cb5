import { instanceCachingFactory, type DependencyContainer } from 'tsyringe'

import { compressFiles, decompressArchive } from '@node/filesystem-jail'
import type { HostedServer } from '@node/servers'

import { saveConfig } from '../config/save-config.js'
import { collectDiagnostics } from '../cli/diagnostics.js'
import {
  apiListenOptions,
  metricsListenOptions,
  searchSettings,
  websocketLimits,
} from '../config/to-options.js'
import { RemoteDownloads } from '../files/pull/remote-downloads.js'
import { createHttpApp } from '../http/app.js'
import { clientIpOf } from '../http/client-ip.js'
import { downloadUploadRoutes } from '../http/routes/download-upload.routes.js'
import { filesRoutes } from '../http/routes/files.routes.js'
import { powerRoutes } from '../http/routes/power.routes.js'
import { serversRoutes } from '../http/routes/servers.routes.js'
import { systemRoutes } from '../http/routes/system.routes.js'
import { updateRoutes } from '../http/routes/update.routes.js'
import { dockerDiskUsage, pruneDanglingImages } from '../system/docker-images.js'
import { systemIps } from '../system/system-ips.js'
import { detailedSystemInfo, legacySystemInfo } from '../system/system-info.js'
import { HostUtilization } from '../system/utilization.js'
import { WebsocketEndpoint } from '../websocket/websocket-endpoint.js'
import { websocketRoutes } from '../websocket/websocket-routes.js'
import { serverDetailsWire } from '../wire/server-details-wire.js'
import { Tokens } from './tokens.js'

/** The HTTP API, its routers and the console websocket, over the server use cases. */
export function registerHttp(c: DependencyContainer): void {
  c.register(Tokens.RemoteDownloads, {
    useFactory: instanceCachingFactory((r) => {
      const downloads = new RemoteDownloads({
        logger: r.resolve(Tokens.Logger).child({ component: 'pull' }),
      })
      // A deleted server's remote downloads stop (http-api §6.2 step 4).
      r.resolve(Tokens.NodeServers).events.on('deleted', (hosted) =>
        downloads.cancelAll(hosted.uuid),
      )
      return downloads
    }),
  })
  c.register(Tokens.WebsocketEndpoint, {
    useFactory: instanceCachingFactory((r) => {
      const live = r.resolve(Tokens.Config)
      const servers = r.resolve(Tokens.NodeServers)
      const power = r.resolve(Tokens.ServerPower)
      const websockets = new WebsocketEndpoint({
        server: (uuid) => servers.get(uuid)?.server,
        tokens: r.resolve(Tokens.TokenVerifier),
        policy: r.resolve(Tokens.WebsocketTokenPolicy),
        actions: {
          // The websocket never waits for the power lock (behaviour §3.1).
          power: (server, action) => power.run(servers.of(server), action, 0),
          sendCommand: (server, command) => power.sendCommands(servers.of(server), [command]),
          isRunning: (server) => power.isRunning(servers.of(server)),
          readLog: (server, lines) => power.readLog(servers.of(server), lines),
        },
        settings: () => {
          const current = live.current()
          return {
            remote: current.remote,
            allowedOrigins: current.allowed_origins,
            logCount: current.system.websocket_log_count,
          }
        },
        logger: r.resolve(Tokens.Logger).child({ component: 'websocket' }),
        // Read once: a changed limit applies after a restart.
        limits: websocketLimits(live.current()),
        activity: r.resolve(Tokens.ActivityLog),
        clientIp: clientIpOf(apiListenOptions(live.current()).trustedProxies),
      })
      // [v1.12] a suspension or a deauthorized user closes the server's sockets (websocket.md §9).
      servers.events.on('suspended', (hosted) => websockets.closeServer(hosted.server))
      servers.events.on('deauthorized', ({ servers: affected }) => {
        for (const hosted of affected) {
          websockets.closeServer(hosted.server, 4401, 'user deauthorized')
        }
      })
      return websockets
    }),
  })
  c.register(Tokens.SystemRoutes, {
    useFactory: instanceCachingFactory((r) => {
      const version = r.resolve(Tokens.Version)
      const docker = r.resolve(Tokens.Docker)
      const live = r.resolve(Tokens.Config)
      const file = r.resolve(Tokens.ConfigFile)
      const paths = r.resolve(Tokens.Paths)
      const host = new HostUtilization()
      return systemRoutes({
        legacy: () => legacySystemInfo(version),
        detailed: () => detailedSystemInfo(version, docker),
        ips: () => systemIps(live.current().docker.system_ips),
        utilization: () =>
          host.read([
            ['Root', paths.rootDirectory],
            ['Logs', paths.logDirectory],
            ['Data', paths.dataDirectory],
            ['Archive', paths.archiveDirectory],
            ['Backup', paths.backupDirectory],
            ['Temp', paths.tmpDirectory],
          ]),
        dockerDisk: () => dockerDiskUsage(docker),
        pruneImages: () => pruneDanglingImages(docker),
        diagnostics: (request) =>
          collectDiagnostics({
            loaded: { path: file.path, config: live.current() },
            version,
            ...request,
            ...(docker ? { docker } : {}),
          }),
      })
    }),
  })
  c.register(Tokens.UpdateRoutes, {
    useFactory: instanceCachingFactory((r) => {
      const live = r.resolve(Tokens.Config)
      const file = r.resolve(Tokens.ConfigFile)
      return updateRoutes({
        current: () => live.current(),
        logger: r.resolve(Tokens.Logger).child({ component: 'config' }),
        persist: async (next) => {
          await saveConfig(file.path, next, { envOverrides: file.envOverrides })
          live.replace(next)
        },
      })
    }),
  })
  c.register(Tokens.ServersRoutes, {
    useFactory: instanceCachingFactory((r) => {
      const live = r.resolve(Tokens.Config)
      return serversRoutes<HostedServer>({
        servers: r.resolve(Tokens.NodeServers),
        details: (hosted) =>
          serverDetailsWire(hosted, live.current().system.crash_detection.enabled),
        create: r.resolve(Tokens.CreateServer),
        delete: r.resolve(Tokens.DeleteServer),
        sync: r.resolve(Tokens.SyncServer),
        revoke: r.resolve(Tokens.RevokeTokens),
      })
    }),
  })
  c.register(Tokens.PowerRoutes, {
    useFactory: instanceCachingFactory((r) =>
      powerRoutes<HostedServer>({
        servers: r.resolve(Tokens.NodeServers),
        isSuspended: (hosted) => hosted.server.isSuspended,
        power: r.resolve(Tokens.ServerPower),
        install: r.resolve(Tokens.InstallServer),
      }),
    ),
  })
  c.register(Tokens.FilesRoutes, {
    useFactory: instanceCachingFactory((r) => {
      const live = r.resolve(Tokens.Config)
      const servers = r.resolve(Tokens.NodeServers)
      return filesRoutes<HostedServer>({
        get: (uuid) => servers.get(uuid),
        jailOf: (hosted) => hosted.jail,
        // Read once, as the reference does (http-api §2.5).
        disableRemoteDownload: live.current().api.disable_remote_download,
        downloads: r.resolve(Tokens.RemoteDownloads),
        search: () => searchSettings(live.current()),
        archives: {
          // Level 1, as `tar | pigz -1`: the Panel's request times out after 15 s.
          compress: (jail, options) => compressFiles(jail, { ...options, level: 1 }),
          decompress: decompressArchive,
        },
        logger: r.resolve(Tokens.Logger).child({ component: 'files' }),
      })
    }),
  })
  c.register(Tokens.DownloadUploadRoutes, {
    useFactory: instanceCachingFactory((r) => {
      const live = r.resolve(Tokens.Config)
      const servers = r.resolve(Tokens.NodeServers)
      return downloadUploadRoutes<HostedServer>({
        get: (uuid) => servers.get(uuid),
        jailOf: (hosted) => hosted.jail,
        tokens: r.resolve(Tokens.TokenVerifier),
        uploadLimitMiB: () => live.current().api.upload_limit,
        activity: r.resolve(Tokens.ActivityLog),
        logger: r.resolve(Tokens.Logger).child({ component: 'files' }),
      })
    }),
  })
  c.register(Tokens.WebsocketRoutes, {
    useFactory: instanceCachingFactory((r) => {
      const servers = r.resolve(Tokens.NodeServers)
      return websocketRoutes((uuid) => servers.get(uuid))
    }),
  })
  c.register(Tokens.HttpApp, {
    useFactory: instanceCachingFactory((r) => {
      const live = r.resolve(Tokens.Config)
      const metrics = r.resolve(Tokens.NodeMetrics)
      return createHttpApp({
        logger: r.resolve(Tokens.Logger),
        // Requests are measured only when /metrics is served.
        ...(metricsListenOptions(live.current()) !== undefined
          ? { observeRequest: metrics.observeRequest.bind(metrics) }
          : {}),
        trustedProxies: apiListenOptions(live.current()).trustedProxies,
        settings: () => {
          const current = live.current()
          return {
            token: current.token,
            remote: current.remote,
            allowedOrigins: current.allowed_origins,
            allowPrivateNetwork: current.allow_cors_private_network,
          }
        },
        publicRoutes: [r.resolve(Tokens.WebsocketRoutes), r.resolve(Tokens.DownloadUploadRoutes)],
        routes: [
          r.resolve(Tokens.SystemRoutes),
          r.resolve(Tokens.UpdateRoutes),
          r.resolve(Tokens.ServersRoutes),
          r.resolve(Tokens.PowerRoutes),
          r.resolve(Tokens.FilesRoutes),
        ],
      })
    }),
  })
}
