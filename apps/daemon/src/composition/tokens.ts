import type { RequestListener } from 'node:http'

import type Docker from 'dockerode'
import type { Express, Router } from 'express'
import type { InjectionToken } from 'tsyringe'

import type { ActivityLog, ActivityStore } from '@node/activity'
import type { VolumeReserve } from '@node/filesystem-jail'
import type { Installer } from '@node/installer'
import type { JwtTokenVerifier, WebsocketTokenPolicy } from '@node/jwt'
import type { PanelGateway, StateStore } from '@node/server-state'
import type {
  CreateServer,
  DeleteServer,
  InstallServer,
  NodeServers,
  RevokeTokens,
  ServerPower,
  ServersSettings,
  SyncServer,
} from '@node/servers'
import type { TokenDenyList, TokenVerifier } from '@node/shared-kernel'

import type { LoadedConfig } from '../config/load-config.js'
import type { DaemonPaths } from '../config/to-options.js'
import type { RemoteDownloads } from '../files/pull/remote-downloads.js'
import type { DaemonLogger } from '../logging/winston-logger.js'
import type { NodeMetrics } from '../metrics/node-metrics.js'
import type { WebsocketEndpoint } from '../websocket/websocket-endpoint.js'
import type { NodeEnvironment } from './environment-factory.js'
import type { LiveConfig } from './live-config.js'

const token = <T>(name: string): InjectionToken<T> => Symbol(name)

/** Every port, service and router the daemon wires, in one place. Packages never see these tokens. */
export const Tokens = {
  Config: token<LiveConfig>('Config'),
  /** Where config.yml came from: `POST /api/update` writes it back there. */
  ConfigFile: token<LoadedConfig>('ConfigFile'),
  Logger: token<DaemonLogger>('Logger'),
  Paths: token<DaemonPaths>('Paths'),
  Version: token<string>('Version'),
  Docker: token<Docker | undefined>('Docker'),

  /** The Panel client; `close()` releases its pooled connections at shutdown. */
  PanelGateway: token<PanelGateway & { close(): void }>('PanelGateway'),
  /** Also says whether scope-less tokens pass now, which the websocket policy asks. */
  TokenVerifier: token<TokenVerifier & Pick<JwtTokenVerifier, 'acceptsScopeless'>>('TokenVerifier'),
  TokenDenyList: token<TokenDenyList>('TokenDenyList'),
  WebsocketTokenPolicy: token<WebsocketTokenPolicy>('WebsocketTokenPolicy'),
  NodeEnvironment: token<NodeEnvironment>('NodeEnvironment'),
  StateStore: token<StateStore>('StateStore'),
  VolumeReserve: token<VolumeReserve>('VolumeReserve'),
  Installer: token<Installer>('Installer'),
  /** Opened before the container is built (the SQLite file), so its failure is a start-up line. */
  ActivityStore: token<ActivityStore>('ActivityStore'),
  ActivityLog: token<ActivityLog>('ActivityLog'),

  /** What the server use cases read, derived once per configuration. */
  ServersSettings: token<() => ServersSettings>('ServersSettings'),
  NodeServers: token<NodeServers>('NodeServers'),
  SyncServer: token<SyncServer>('SyncServer'),
  DeleteServer: token<DeleteServer>('DeleteServer'),
  InstallServer: token<InstallServer>('InstallServer'),
  CreateServer: token<CreateServer>('CreateServer'),
  ServerPower: token<ServerPower>('ServerPower'),
  RevokeTokens: token<RevokeTokens>('RevokeTokens'),

  /**
   * The Prometheus registry and its metrics; built whether or not `/metrics` is served. Its
   * `inFlight` holds one InFlightGauge per kind (backups, restores, transfers): the use cases of
   * those capabilities take theirs in their options (`begin()`, the returned end in a `finally`).
   */
  NodeMetrics: token<NodeMetrics>('NodeMetrics'),
  /** `GET /metrics` on the metrics listener (`metrics.host`:`metrics.port`). */
  MetricsEndpoint: token<RequestListener>('MetricsEndpoint'),

  RemoteDownloads: token<RemoteDownloads>('RemoteDownloads'),
  WebsocketEndpoint: token<WebsocketEndpoint>('WebsocketEndpoint'),
  SystemRoutes: token<Router>('SystemRoutes'),
  UpdateRoutes: token<Router>('UpdateRoutes'),
  ServersRoutes: token<Router>('ServersRoutes'),
  PowerRoutes: token<Router>('PowerRoutes'),
  FilesRoutes: token<Router>('FilesRoutes'),
  DownloadUploadRoutes: token<Router>('DownloadUploadRoutes'),
  WebsocketRoutes: token<Router>('WebsocketRoutes'),
  HttpApp: token<Express>('HttpApp'),
} as const
