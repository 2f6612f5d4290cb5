import type Docker from 'dockerode'
import {
  container,
  instanceCachingFactory,
  type DependencyContainer,
  type InjectionToken,
} from 'tsyringe'

import { ActivityLog, type ActivityStore } from '@node/activity'

import type { LoadedConfig } from '../config/load-config.js'
import { activitySettings, type DaemonPaths } from '../config/to-options.js'
import type { DaemonLogger } from '../logging/winston-logger.js'
import type { LiveConfig } from './live-config.js'
import { registerAdapters, type AdapterOptions } from './register-adapters.js'
import { registerHttp } from './register-http.js'
import { registerMetrics } from './register-metrics.js'
import { registerServers } from './register-servers.js'
import { Tokens } from './tokens.js'

export interface ContainerOptions extends AdapterOptions {
  readonly live: LiveConfig
  readonly configFile: LoadedConfig
  readonly logger: DaemonLogger
  readonly paths: DaemonPaths
  readonly version: string
  readonly docker: Docker | undefined
  /** The activity log's rows (`<root_directory>/wings.db`), already open. */
  readonly activityStore: ActivityStore
}

/**
 * What startDaemon resolves, in this order; resolving them builds every other registered service
 * (a test checks that none is left out).
 */
export const ROOT_TOKENS = [
  Tokens.TokenDenyList,
  Tokens.NodeEnvironment,
  Tokens.PanelGateway,
  Tokens.NodeServers,
  Tokens.ActivityLog,
  Tokens.WebsocketEndpoint,
  Tokens.HttpApp,
  Tokens.MetricsEndpoint,
] as const satisfies readonly InjectionToken<unknown>[]

/** Adapters are built by factories, never by decorators: packages stay free of tsyringe. */
export function createContainer(options: ContainerOptions): DependencyContainer {
  const c = container.createChildContainer()
  c.register(Tokens.Config, { useValue: options.live })
  c.register(Tokens.ConfigFile, { useValue: options.configFile })
  c.register(Tokens.Logger, { useValue: options.logger })
  c.register(Tokens.Paths, { useValue: options.paths })
  c.register(Tokens.Version, { useValue: options.version })
  // A factory, not useValue: tsyringe takes `useValue: undefined` for no provider at all.
  c.register(Tokens.Docker, { useFactory: instanceCachingFactory(() => options.docker) })
  registerAdapters(c, options)
  c.register(Tokens.ActivityStore, { useValue: options.activityStore })
  c.register(Tokens.ActivityLog, {
    useFactory: instanceCachingFactory(
      (r) =>
        new ActivityLog({
          store: r.resolve(Tokens.ActivityStore),
          panel: r.resolve(Tokens.PanelGateway),
          settings: () => activitySettings(options.live.current()),
          logger: options.logger.child({ component: 'activity' }),
        }),
    ),
  })
  registerServers(c)
  registerMetrics(c)
  registerHttp(c)
  return c
}
