import type Docker from 'dockerode'
import { container, instanceCachingFactory, type DependencyContainer } from 'tsyringe'

import { Installer } from '@node/installer'
import { JwtTokenVerifier, type ScopeMemory, type ScopelessTokens } from '@node/jwt'
import { HttpPanelGateway } from '@node/panel-client'

import { panelClientOptions, type DaemonPaths } from '../config/to-options.js'
import type { DaemonLogger } from '../logging/winston-logger.js'
import type { LiveConfig } from './live-config.js'
import { createNodeEnvironment } from './environment-factory.js'
import { ServerJails } from './server-jails.js'
import { ServerRuntimes } from './server-runtimes.js'
import { ServerService } from './server-service.js'
import { Tokens } from './tokens.js'

export interface ContainerOptions {
  readonly live: LiveConfig
  readonly logger: DaemonLogger
  readonly paths: DaemonPaths
  readonly version: string
  readonly docker: Docker | undefined
  /** `--ignore-certificate-errors`: accept any TLS certificate from the Panel. */
  readonly ignoreCertificateErrors: boolean
  /** Whether the Panel was seen signing scoped tokens (`api.accept_tokens_without_scope: learn`). */
  readonly tokenScope: ScopeMemory
}

/** Adapters are built by factories, never by decorators: packages stay free of tsyringe. */
export function createContainer(options: ContainerOptions): DependencyContainer {
  const c = container.createChildContainer()
  c.register(Tokens.Config, { useValue: options.live })
  c.register(Tokens.Logger, { useValue: options.logger })
  c.register(Tokens.Paths, { useValue: options.paths })
  c.register(Tokens.Version, { useValue: options.version })
  c.register(Tokens.Docker, { useValue: options.docker })
  c.register(Tokens.PanelGateway, {
    useFactory: instanceCachingFactory(() => {
      const settings = panelClientOptions(options.live.current())
      return new HttpPanelGateway({
        baseUrl: settings.baseUrl,
        tokenId: settings.tokenId,
        token: settings.token,
        timeoutMs: settings.timeoutMs,
        userAgentVersion: options.version,
        logger: options.logger.child({ component: 'panel' }),
        ignoreCertificateErrors: options.ignoreCertificateErrors,
      })
    }),
  })
  c.register(Tokens.TokenVerifier, {
    useFactory: instanceCachingFactory(
      () =>
        new JwtTokenVerifier({
          // Read on every check: a token rotated by POST /api/update applies at once.
          nodeToken: () => options.live.current().token,
          tokensWithoutScope: scopelessTokens(
            options.live.current().api.accept_tokens_without_scope,
          ),
          scopeMemory: options.tokenScope,
          logger: options.logger.child({ component: 'jwt' }),
        }),
    ),
  })
  c.register(Tokens.NodeEnvironment, {
    useFactory: instanceCachingFactory(() =>
      createNodeEnvironment(options.live.current(), options.docker, options.logger),
    ),
  })
  c.register(Tokens.ServerJails, {
    useFactory: instanceCachingFactory(
      () =>
        new ServerJails({
          live: options.live,
          logger: options.logger,
          dataDirectory: options.paths.dataDirectory,
        }),
    ),
  })
  c.register(Tokens.ServerService, {
    useFactory: instanceCachingFactory(
      (r) =>
        new ServerService({
          live: options.live,
          logger: options.logger,
          panel: r.resolve(Tokens.PanelGateway),
          tokens: r.resolve(Tokens.TokenVerifier),
          dataDirectory: options.paths.dataDirectory,
          statesFile: options.paths.statesFile,
          hooks: [r.resolve(Tokens.ServerJails), r.resolve(Tokens.ServerRuntimes)],
          diskBytes: (server) => r.resolve(Tokens.ServerJails).diskBytes(server),
        }),
    ),
  })
  c.register(Tokens.ServerRuntimes, {
    useFactory: instanceCachingFactory((r) => {
      const factory = r.resolve(Tokens.NodeEnvironment).factory
      const live = options.live
      return new ServerRuntimes({
        live,
        logger: options.logger,
        factory,
        jails: r.resolve(Tokens.ServerJails),
        installer: new Installer({
          factory,
          panel: r.resolve(Tokens.PanelGateway),
          tmpDirectory: options.paths.tmpDirectory,
          logDirectory: options.paths.installLogDirectory,
          timezone: () => live.current().system.timezone,
        }),
        // Resolved on use: the server service holds these runtimes as one of its hooks.
        rootOf: (server) => r.resolve(Tokens.ServerService).rootOf(server),
        sync: (server) => r.resolve(Tokens.ServerService).sync(server),
      })
    }),
  })
  return c
}

function scopelessTokens(setting: boolean | 'learn'): ScopelessTokens {
  if (setting === 'learn') return 'learn'
  return setting ? 'accept' : 'refuse'
}
