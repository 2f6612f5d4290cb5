import type Docker from 'dockerode'
import type { InjectionToken } from 'tsyringe'

import type { PanelGateway } from '@node/server-state'
import type { TokenVerifier } from '@node/shared-kernel'

import type { DaemonPaths } from '../config/to-options.js'
import type { DaemonLogger } from '../logging/winston-logger.js'
import type { NodeEnvironment } from './environment-factory.js'
import type { LiveConfig } from './live-config.js'
import type { ServerJails } from './server-jails.js'
import type { ServerRuntimes } from './server-runtimes.js'
import type { ServerService } from './server-service.js'

const token = <T>(name: string): InjectionToken<T> => Symbol(name)

/** Every port and service the daemon wires, in one place. Packages never see these tokens. */
export const Tokens = {
  Config: token<LiveConfig>('Config'),
  Logger: token<DaemonLogger>('Logger'),
  Paths: token<DaemonPaths>('Paths'),
  Version: token<string>('Version'),
  Docker: token<Docker | undefined>('Docker'),
  /** The Panel client; `close()` releases its pooled connections at shutdown. */
  PanelGateway: token<PanelGateway & { close(): void }>('PanelGateway'),
  TokenVerifier: token<TokenVerifier>('TokenVerifier'),
  NodeEnvironment: token<NodeEnvironment>('NodeEnvironment'),
  ServerJails: token<ServerJails>('ServerJails'),
  ServerService: token<ServerService>('ServerService'),
  ServerRuntimes: token<ServerRuntimes>('ServerRuntimes'),
} as const
