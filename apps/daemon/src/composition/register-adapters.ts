import { instanceCachingFactory, type DependencyContainer } from 'tsyringe'

import { VolumeReserve } from '@node/filesystem-jail'
import { Installer } from '@node/installer'
import {
  BoundedTokenDenyList,
  JwtTokenVerifier,
  WebsocketTokenPolicy,
  type ScopeMemory,
  type ScopelessTokens,
} from '@node/jwt'
import { HttpPanelGateway } from '@node/panel-client'
import { FileStateStore } from '@node/server-state'

import { panelClientOptions } from '../config/to-options.js'
import { createNodeEnvironment } from './environment-factory.js'
import { Tokens } from './tokens.js'

const MIB = 1024 * 1024

export interface AdapterOptions {
  /** `--ignore-certificate-errors`: accept any TLS certificate from the Panel. */
  readonly ignoreCertificateErrors: boolean
  /** Whether the Panel was seen signing scoped tokens (`api.accept_tokens_without_scope: learn`). */
  readonly tokenScope: ScopeMemory
}

/** The ports' adapters, each built from the configuration by a factory. */
export function registerAdapters(c: DependencyContainer, options: AdapterOptions): void {
  c.register(Tokens.PanelGateway, {
    useFactory: instanceCachingFactory((r) => {
      const settings = panelClientOptions(r.resolve(Tokens.Config).current())
      return new HttpPanelGateway({
        baseUrl: settings.baseUrl,
        tokenId: settings.tokenId,
        token: settings.token,
        timeoutMs: settings.timeoutMs,
        userAgentVersion: r.resolve(Tokens.Version),
        logger: r.resolve(Tokens.Logger).child({ component: 'panel' }),
        ignoreCertificateErrors: options.ignoreCertificateErrors,
      })
    }),
  })
  // Resolved at start-up: the instant it is built is the boot time before which tokens are denied.
  c.register(Tokens.TokenDenyList, {
    useFactory: instanceCachingFactory(
      (r) =>
        new BoundedTokenDenyList({ logger: r.resolve(Tokens.Logger).child({ component: 'jwt' }) }),
    ),
  })
  c.register(Tokens.TokenVerifier, {
    useFactory: instanceCachingFactory((r) => {
      const live = r.resolve(Tokens.Config)
      return new JwtTokenVerifier({
        // Read on every check: a token rotated by POST /api/update applies at once.
        nodeToken: () => live.current().token,
        tokensWithoutScope: scopelessTokens(live.current().api.accept_tokens_without_scope),
        scopeMemory: options.tokenScope,
        denyList: r.resolve(Tokens.TokenDenyList),
        logger: r.resolve(Tokens.Logger).child({ component: 'jwt' }),
      })
    }),
  })
  c.register(Tokens.WebsocketTokenPolicy, {
    useFactory: instanceCachingFactory((r) => {
      const verifier = r.resolve(Tokens.TokenVerifier)
      return new WebsocketTokenPolicy({
        denyList: r.resolve(Tokens.TokenDenyList),
        acceptsScopeless: () => verifier.acceptsScopeless(),
      })
    }),
  })
  c.register(Tokens.NodeEnvironment, {
    useFactory: instanceCachingFactory((r) =>
      createNodeEnvironment(
        r.resolve(Tokens.Config).current(),
        r.resolve(Tokens.Docker),
        r.resolve(Tokens.Logger),
      ),
    ),
  })
  c.register(Tokens.StateStore, {
    useFactory: instanceCachingFactory(
      (r) =>
        new FileStateStore({
          file: r.resolve(Tokens.Paths).statesFile,
          logger: r.resolve(Tokens.Logger),
        }),
    ),
  })
  c.register(Tokens.VolumeReserve, {
    useFactory: instanceCachingFactory((r) => {
      const live = r.resolve(Tokens.Config)
      const reserve = new VolumeReserve({
        path: r.resolve(Tokens.Paths).dataDirectory,
        reserveBytes: live.current().system.disk_reserve * MIB,
        logger: r.resolve(Tokens.Logger).child({ component: 'disk-reserve' }),
      })
      live.onChange((config) => reserve.setReserveBytes(config.system.disk_reserve * MIB))
      return reserve
    }),
  })
  c.register(Tokens.Installer, {
    useFactory: instanceCachingFactory((r) => {
      const live = r.resolve(Tokens.Config)
      const paths = r.resolve(Tokens.Paths)
      return new Installer({
        factory: r.resolve(Tokens.NodeEnvironment).factory,
        panel: r.resolve(Tokens.PanelGateway),
        tmpDirectory: paths.tmpDirectory,
        logDirectory: paths.installLogDirectory,
        timezone: () => live.current().system.timezone,
      })
    }),
  })
}

function scopelessTokens(setting: boolean | 'learn'): ScopelessTokens {
  if (setting === 'learn') return 'learn'
  return setting ? 'accept' : 'refuse'
}
