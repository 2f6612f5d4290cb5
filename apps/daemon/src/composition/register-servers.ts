import { instanceCachingFactory, type DependencyContainer } from 'tsyringe'

import {
  CreateServer,
  DeleteServer,
  InstallServer,
  NodeServers,
  RevokeTokens,
  ServerPower,
  SyncServer,
} from '@node/servers'

import { serversSettings } from '../config/to-options.js'
import { Tokens } from './tokens.js'

/** The server use cases of @node/servers, over the registered adapters. */
export function registerServers(c: DependencyContainer): void {
  c.register(Tokens.ServersSettings, {
    useFactory: instanceCachingFactory((r) => r.resolve(Tokens.Config).derived(serversSettings)),
  })
  c.register(Tokens.NodeServers, {
    useFactory: instanceCachingFactory((r) => {
      const live = r.resolve(Tokens.Config)
      return new NodeServers({
        panel: r.resolve(Tokens.PanelGateway),
        environments: r.resolve(Tokens.NodeEnvironment).factory,
        stateStore: r.resolve(Tokens.StateStore),
        dataDirectory: r.resolve(Tokens.Paths).dataDirectory,
        reserve: r.resolve(Tokens.VolumeReserve),
        consoleLines: Math.max(live.current().system.websocket_log_count, 150),
        settings: r.resolve(Tokens.ServersSettings),
        logger: r.resolve(Tokens.Logger),
      })
    }),
  })
  c.register(Tokens.SyncServer, {
    useFactory: instanceCachingFactory((r) => new SyncServer(r.resolve(Tokens.NodeServers))),
  })
  c.register(Tokens.DeleteServer, {
    useFactory: instanceCachingFactory(
      (r) => new DeleteServer({ servers: r.resolve(Tokens.NodeServers) }),
    ),
  })
  c.register(Tokens.InstallServer, {
    useFactory: instanceCachingFactory(
      (r) =>
        new InstallServer({
          installer: r.resolve(Tokens.Installer),
          sync: r.resolve(Tokens.SyncServer),
        }),
    ),
  })
  c.register(Tokens.CreateServer, {
    useFactory: instanceCachingFactory(
      (r) =>
        new CreateServer({
          servers: r.resolve(Tokens.NodeServers),
          sync: r.resolve(Tokens.SyncServer),
          delete: r.resolve(Tokens.DeleteServer),
          install: r.resolve(Tokens.InstallServer),
        }),
    ),
  })
  c.register(Tokens.ServerPower, { useValue: new ServerPower() })
  c.register(Tokens.RevokeTokens, {
    useFactory: instanceCachingFactory(
      (r) =>
        new RevokeTokens({
          servers: r.resolve(Tokens.NodeServers),
          denyList: r.resolve(Tokens.TokenDenyList),
        }),
    ),
  })
}
