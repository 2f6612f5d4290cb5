import { isDaemonError } from '@node/shared-kernel'
import { afterEach, describe, expect, it } from 'vitest'

import type { PanelGateway, SftpAuthRequest } from '../ports/panel-gateway.js'

/** A PanelGateway under test and what the Panel behind it knows. */
export interface PanelGatewayContractSubject {
  readonly gateway: PanelGateway
  /** The uuids of this node's servers (at least two), in any order. */
  readonly servers: readonly string[]
  /** A login the Panel accepts over SFTP, and what it answers for it. */
  readonly sftp: {
    readonly username: string
    readonly password: string
    /** The user's uuid, as the Panel answers it. */
    readonly user: string
    readonly server: string
  }
  close(): Promise<void>
}

const UNKNOWN_SERVER = 'ffffffff-ffff-4fff-bfff-ffffffffffff'

/**
 * The behaviour every PanelGateway shows, run by @node/panel-client's HttpPanelGateway against
 * panel-sim over HTTP and by InMemoryPanelGateway, so the fake cannot drift from the real client.
 */
export function describePanelGatewayContract(
  name: string,
  makeSubject: () => Promise<PanelGatewayContractSubject>,
): void {
  describe(`${name} (PanelGateway contract)`, () => {
    let subject: PanelGatewayContractSubject | undefined

    afterEach(async () => {
      await subject?.close()
      subject = undefined
    })

    async function open(): Promise<PanelGatewayContractSubject> {
      subject = await makeSubject()
      return subject
    }

    it('lists every server of the node with its configuration, one page at a time', async () => {
      const { gateway, servers } = await open()

      const entries = await gateway.listServers({ perPage: 1 })

      expect(entries.map((entry) => entry.uuid).sort()).toEqual([...servers].sort())
      for (const entry of entries) {
        expect('configuration' in entry && entry.configuration.settings.uuid).toBe(entry.uuid)
      }
    })

    it('serves the configuration of one server as the list does', async () => {
      const { gateway, servers } = await open()
      const uuid = servers[0] as string

      const configuration = await gateway.getServerConfiguration(uuid)
      const listed = (await gateway.listServers({ perPage: 50 })).find((e) => e.uuid === uuid)

      expect(configuration.settings.uuid).toBe(uuid)
      expect(listed && 'configuration' in listed && listed.configuration).toEqual(configuration)
    })

    it('rejects the configuration of a server the Panel does not know with NOT_FOUND', async () => {
      const { gateway } = await open()

      const failure = await gateway.getServerConfiguration(UNKNOWN_SERVER).catch((e: unknown) => e)

      expect(isDaemonError(failure) && failure.code).toBe('NOT_FOUND')
    })

    it("serves a server's install script", async () => {
      const { gateway, servers } = await open()

      const script = await gateway.getInstallationScript(servers[0] as string)

      expect(script).toEqual({
        containerImage: expect.any(String) as string,
        entrypoint: expect.any(String) as string,
        script: expect.any(String) as string,
      })
      expect(script.script).not.toContain('\r\n')
    })

    it('takes an install status, a state reset and activity', async () => {
      const { gateway, servers } = await open()
      const server = servers[0] as string

      await gateway.setInstallationStatus(server, { successful: true, reinstall: false })
      await gateway.resetServerStates()
      await gateway.sendActivity([
        {
          user: null,
          server,
          event: 'server:console.command',
          metadata: { command: 'say hi' },
          ip: '127.0.0.1',
          timestamp: '2026-01-01T12:00:00.000000000Z',
        },
      ])
    })

    it('accepts the SFTP login the Panel knows, with its user, server and permissions', async () => {
      const { gateway, sftp } = await open()

      const result = await gateway.validateSftpCredentials(loginOf(sftp.username, sftp.password))

      expect(result.user).toBe(sftp.user)
      expect(result.server).toBe(sftp.server)
      expect(result.permissions.length).toBeGreaterThan(0)
    })

    it('refuses a wrong password, and a username without a server id, with DENIED', async () => {
      const { gateway, sftp } = await open()

      const wrong = await gateway
        .validateSftpCredentials(loginOf(sftp.username, `${sftp.password}-not`))
        .catch((e: unknown) => e)
      const bare = await gateway
        .validateSftpCredentials(loginOf('admin', sftp.password))
        .catch((e: unknown) => e)

      expect(isDaemonError(wrong) && wrong.code).toBe('DENIED')
      expect(isDaemonError(bare) && bare.code).toBe('DENIED')
    })

    it('gives up on a call whose signal is aborted', async () => {
      const { gateway, servers } = await open()
      const reason = new Error('the caller went away')

      await expect(
        gateway.getServerConfiguration(servers[0] as string, AbortSignal.abort(reason)),
      ).rejects.toThrow()
    })
  })
}

function loginOf(username: string, password: string): SftpAuthRequest {
  return {
    type: 'password',
    username,
    password,
    ip: '127.0.0.1:50000',
    sessionId: Buffer.from('session'),
    clientVersion: Buffer.from('SSH-2.0-contract'),
  }
}
