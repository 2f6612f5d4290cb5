import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { Jail, type JailOptions } from '@node/filesystem-jail'
import type { PanelGateway } from '@node/server-state'
import { InMemoryPanelGateway } from '@node/server-state/testing'
import type { Clock, Logger } from '@node/shared-kernel'
import { MemoryLogger } from '@node/shared-kernel/testing'

import {
  SftpServer,
  type SftpActivity,
  type SftpLimits,
  type SftpServerView,
} from '../../src/index.js'

export const SERVER_UUID = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
/** `<user>.<first 8 characters of the server uuid>`, as the Panel shows it. */
export const USERNAME = 'alice.d3aac109'
export const PASSWORD = 'correct horse battery staple'

/** The server's state as the lookup reports it; tests flip the flags. */
interface MutableServerView {
  jail: Jail
  suspended: boolean
  installing: boolean
  restoring: boolean
  transferring: boolean
  /** False: the node no longer has the server. */
  present: boolean
}

export interface SftpHarness extends AsyncDisposable {
  readonly server: SftpServer
  readonly port: number
  /** The server's root directory. */
  readonly root: string
  /** The directory holding `.sftp/id_ed25519`. */
  readonly dataDir: string
  readonly view: MutableServerView
  readonly activity: SftpActivity[]
  readonly logger: MemoryLogger
  close(): Promise<void>
}

export interface HarnessOptions {
  /** Default: an in-memory Panel that knows USERNAME/PASSWORD with `permissions`. */
  readonly panel?: Pick<PanelGateway, 'validateSftpCredentials'>
  readonly permissions?: readonly string[]
  readonly serverUuid?: string
  readonly readOnly?: boolean
  readonly keyOnly?: boolean
  readonly limits?: Partial<SftpLimits>
  readonly jail?: JailOptions
  readonly clock?: Clock
  readonly logger?: Logger
}

/** An SftpServer on a loopback port over a fresh jail, torn down on dispose. */
export async function startSftpServer(options: HarnessOptions = {}): Promise<SftpHarness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sftp-test-'))
  const serverUuid = options.serverUuid ?? SERVER_UUID
  const root = path.join(dataDir, serverUuid)
  await mkdir(root)
  const jail = await Jail.open(root, { diskCheckIntervalMs: 0, ...options.jail })
  const view: MutableServerView = {
    jail,
    suspended: false,
    installing: false,
    restoring: false,
    transferring: false,
    present: true,
  }
  let panel = options.panel
  if (panel === undefined) {
    const memory = new InMemoryPanelGateway()
    memory.addSftpUser(USERNAME, {
      password: PASSWORD,
      server: serverUuid,
      permissions: options.permissions ?? ['*'],
    })
    panel = memory
  }
  const logger = new MemoryLogger()
  const activity: SftpActivity[] = []
  const server = new SftpServer({
    bindAddress: '127.0.0.1',
    bindPort: 0,
    hostKeyPath: path.join(dataDir, '.sftp', 'id_ed25519'),
    panel,
    servers: (uuid): SftpServerView | undefined =>
      uuid === serverUuid && view.present ? view : undefined,
    readOnly: options.readOnly,
    keyOnly: options.keyOnly,
    limits: { loginDelayMs: 10, maxLoginDelayMs: 100, ...options.limits },
    onActivity: (entry) => activity.push(entry),
    logger: options.logger ?? logger,
    clock: options.clock,
  })
  const { port } = await server.listen()
  const close = async (): Promise<void> => {
    await server.close()
    await jail.close()
    await rm(dataDir, { recursive: true, force: true })
  }
  return {
    server,
    port,
    root,
    dataDir,
    view,
    activity,
    logger,
    close,
    [Symbol.asyncDispose]: close,
  }
}
