import { HttpPanelGateway } from '@node/panel-client'
import { sampleFixture, startPanelSim, type PanelSim } from '@node/panel-sim'
import { utils } from 'ssh2'

import { SERVER_UUID } from './sftp-harness.js'

/** The sample fixture's node credentials (the Panel's side of the node token). */
const TOKEN_ID = 'Q0mVwY8pXb3Kc7Rt'
const TOKEN = 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2'

const SUBUSER = 'alice'
export const SUBUSER_PASSWORD = 'alice-password'
export const SUBUSER_UUID = '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d'
/** The subuser's login: `<panel username>.<server short id>`. */
export const SUBUSER_LOGIN = `${SUBUSER}.${SERVER_UUID.slice(0, 8)}`
export const ADMIN_LOGIN = `admin.${SERVER_UUID.slice(0, 8)}`
export const ADMIN_PASSWORD = 'password'

export const ALL_FILE_PERMISSIONS = [
  'file.sftp',
  'file.read',
  'file.read-content',
  'file.create',
  'file.update',
  'file.delete',
] as const

export interface ClientKey {
  /** OpenSSH private key text. */
  readonly privateKey: string
  /** `ssh-ed25519 AAAA…` */
  readonly publicKey: string
}

export function generateClientKey(): ClientKey {
  const pair = utils.generateKeyPairSync('ed25519')
  return { privateKey: pair.private, publicKey: pair.public }
}

export interface SimPanel extends AsyncDisposable {
  readonly sim: PanelSim
  readonly gateway: HttpPanelGateway
  /** Replaces the subuser's permissions on the sample server. */
  setPermissions(permissions: readonly string[]): void
  close(): Promise<void>
}

/**
 * panel-sim over real HTTP with the sample server and a subuser `alice` (password and `key`),
 * reached through HttpPanelGateway with short retries.
 */
export async function startSimPanel(
  options: { permissions?: readonly string[]; key?: ClientKey } = {},
): Promise<SimPanel> {
  const fixture = sampleFixture()
  const sim = await startPanelSim({
    fixture: {
      ...fixture,
      users: [
        ...fixture.users!,
        {
          id: 2,
          uuid: SUBUSER_UUID,
          username: SUBUSER,
          password: SUBUSER_PASSWORD,
          sshKeys: options.key ? [options.key.publicKey] : [],
        },
      ],
    },
    log: () => undefined,
  })
  const setPermissions = (permissions: readonly string[]): void => {
    sim.updateServer(SERVER_UUID, { subusers: [{ user: 2, permissions: [...permissions] }] })
  }
  setPermissions(options.permissions ?? ALL_FILE_PERMISSIONS)
  const gateway = new HttpPanelGateway({
    baseUrl: sim.url,
    tokenId: TOKEN_ID,
    token: TOKEN,
    timeoutMs: 10_000,
    userAgentVersion: '1.11.11',
    retry: { initialIntervalMs: 5, maxIntervalMs: 20, maxElapsedMs: 300 },
  })
  const close = async (): Promise<void> => {
    gateway.close()
    await sim.close()
  }
  return { sim, gateway, setPermissions, close, [Symbol.asyncDispose]: close }
}
