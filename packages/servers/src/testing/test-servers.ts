import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { configValueResolverFrom } from '@node/config-files'
import { Installer } from '@node/installer'
import type { ServerConfiguration } from '@node/server-state'
import {
  InMemoryEnvironmentFactory,
  InMemoryPanelGateway,
  InMemoryStateStore,
} from '@node/server-state/testing'
import type { SavedStates } from '@node/server-state'
import { InMemoryTokenDenyList, MemoryLogger } from '@node/shared-kernel/testing'

import { CreateServer } from '../create-server.js'
import { DeleteServer } from '../delete-server.js'
import { InstallServer } from '../install-server.js'
import { NodeServers } from '../node-servers.js'
import { RevokeTokens } from '../revoke-tokens.js'
import { ServerPower } from '../server-power.js'
import type { ServersSettings } from '../servers-settings.js'
import { SyncServer } from '../sync-server.js'

export interface TestServersOptions {
  /** The servers the Panel knows, in list order. */
  readonly configurations?: readonly ServerConfiguration[]
  /** States saved by the previous run (`states.json`). */
  readonly savedStates?: SavedStates
  readonly settings?: Partial<ServersSettings>
  /** How long a delete waits for work in flight (default 1 s). */
  readonly deleteSettleMs?: number
}

/**
 * Every use case of this package wired over in-memory adapters (Panel, runtimes, states, deny
 * list) and real jails in a temp dir, for unit tests here and of capabilities built on it.
 */
export interface TestServers extends AsyncDisposable {
  readonly directory: string
  readonly dataDirectory: string
  readonly panel: InMemoryPanelGateway
  readonly environments: InMemoryEnvironmentFactory
  readonly stateStore: InMemoryStateStore
  readonly denyList: InMemoryTokenDenyList
  readonly logger: MemoryLogger
  /** What the use cases read; change it to see a configuration update apply. */
  settings: ServersSettings
  readonly servers: NodeServers
  readonly sync: SyncServer
  readonly delete: DeleteServer
  readonly install: InstallServer
  readonly create: CreateServer
  readonly power: ServerPower
  readonly revoke: RevokeTokens
}

export const TEST_SERVERS_SETTINGS: ServersSettings = {
  timezone: 'UTC',
  user: { uid: 0, gid: 0 },
  fixPermissionsOnStart: false,
  diskCheckIntervalMs: 0,
  bootServersPerPage: 50,
  power: {
    appName: 'Pterodactyl',
    crashDetection: { enabled: true, detectCleanExitAsCrash: true, timeoutSeconds: 60 },
    throttle: { lines: 2000, intervalMs: 100 },
  },
  configValues: configValueResolverFrom({}),
}

export async function createTestServers(options: TestServersOptions = {}): Promise<TestServers> {
  const directory = await mkdtemp(path.join(tmpdir(), 'servers-'))
  const dataDirectory = path.join(directory, 'volumes')
  const panel = new InMemoryPanelGateway([...(options.configurations ?? [])])
  const environments = new InMemoryEnvironmentFactory()
  const stateStore = new InMemoryStateStore(options.savedStates)
  const denyList = new InMemoryTokenDenyList()
  const logger = new MemoryLogger()
  const harness: { settings: ServersSettings } = {
    settings: { ...TEST_SERVERS_SETTINGS, ...options.settings },
  }
  const servers = new NodeServers({
    panel,
    environments,
    stateStore,
    dataDirectory,
    settings: () => harness.settings,
    logger,
  })
  const sync = new SyncServer(servers)
  const remove = new DeleteServer({ servers, settleMs: options.deleteSettleMs ?? 1000 })
  const install = new InstallServer({
    installer: new Installer({
      factory: environments,
      panel,
      tmpDirectory: path.join(directory, 'tmp'),
      logDirectory: path.join(directory, 'install-logs'),
      timezone: () => harness.settings.timezone,
    }),
    sync,
  })
  return Object.assign(harness, {
    directory,
    dataDirectory,
    panel,
    environments,
    stateStore,
    denyList,
    logger,
    servers,
    sync,
    delete: remove,
    install,
    create: new CreateServer({ servers, sync, delete: remove, install }),
    power: new ServerPower(),
    revoke: new RevokeTokens({ servers, denyList }),
    async [Symbol.asyncDispose]() {
      await servers.close()
      await rm(directory, { recursive: true, force: true })
    },
  })
}
