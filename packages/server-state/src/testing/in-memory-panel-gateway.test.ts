import { describe, expect, it } from 'vitest'

import { isDaemonError } from '@node/shared-kernel'

import { buildServerConfiguration } from './build-server-configuration.js'
import { DEFAULT_INSTALLATION_SCRIPT, InMemoryPanelGateway } from './in-memory-panel-gateway.js'
import { describePanelGatewayContract } from './panel-gateway-contract.js'

const A = 'aaaaaaaa-0000-4000-8000-000000000001'
const B = 'aaaaaaaa-0000-4000-8000-000000000002'

describePanelGatewayContract('InMemoryPanelGateway', () => {
  const panel = new InMemoryPanelGateway([buildServerConfiguration(A), buildServerConfiguration(B)])
  const user = 'bbbbbbbb-0000-4000-8000-000000000001'
  panel.addSftpUser('alice.aaaaaaaa', { password: 'secret', server: A, permissions: ['*'], user })
  return Promise.resolve({
    gateway: panel,
    servers: [A, B],
    sftp: { username: 'alice.aaaaaaaa', password: 'secret', user, server: A },
    close: () => Promise.resolve(),
  })
})

describe('InMemoryPanelGateway', () => {
  it('lists its servers page by page, broken entries with their error', async () => {
    const panel = new InMemoryPanelGateway([buildServerConfiguration(A)])
    const broken = new Error('bad process_configuration')
    panel.putBrokenServer(B, broken)

    const entries = await panel.listServers({ perPage: 1 })

    expect(panel.pagesServed).toEqual([0, 2])
    expect(entries).toEqual([
      { uuid: A, configuration: buildServerConfiguration(A) },
      { uuid: B, error: broken },
    ])
  })

  it('answers an unknown server with NotFoundError', async () => {
    const panel = new InMemoryPanelGateway()

    const failure = await panel.getServerConfiguration(A).catch((err: unknown) => err)

    expect(isDaemonError(failure) && failure.code).toBe('NOT_FOUND')
  })

  it('hands out copies, so a caller cannot change what it holds', async () => {
    const panel = new InMemoryPanelGateway([buildServerConfiguration(A)])
    const first = (await panel.getServerConfiguration(A)) as { settings: { invocation: string } }

    first.settings.invocation = 'changed'

    expect((await panel.getServerConfiguration(A)).settings.invocation).not.toBe('changed')
  })

  it('records calls and reported statuses, and fails a call when told to', async () => {
    const panel = new InMemoryPanelGateway([buildServerConfiguration(A)])
    panel.failNext('setInstallationStatus', new Error('Panel is down'))

    const failure = await panel
      .setInstallationStatus(A, { successful: true, reinstall: false })
      .catch((err: unknown) => err)
    await panel.setInstallationStatus(A, { successful: false, reinstall: true })
    await panel.resetServerStates()

    expect(failure).toEqual(new Error('Panel is down'))
    expect(panel.installationStatuses).toEqual([
      { uuid: A, status: { successful: false, reinstall: true } },
    ])
    expect(panel.resets).toBe(1)
    expect(panel.calls.map((c) => c.method)).toEqual([
      'setInstallationStatus',
      'setInstallationStatus',
      'resetServerStates',
    ])
  })

  it('serves the default installation script unless one is set', async () => {
    const panel = new InMemoryPanelGateway([
      buildServerConfiguration(A),
      buildServerConfiguration(B),
    ])
    const script = { containerImage: 'debian', entrypoint: 'bash', script: 'exit 1' }
    panel.setInstallationScript(B, script)

    expect(await panel.getInstallationScript(A)).toEqual(DEFAULT_INSTALLATION_SCRIPT)
    expect(await panel.getInstallationScript(B)).toEqual(script)
  })

  it('checks SFTP passwords and denies anything else', async () => {
    const panel = new InMemoryPanelGateway()
    panel.addSftpUser('alice.1a2b3c4d', { password: 'secret', server: A, permissions: ['*'] })
    const request = {
      type: 'password' as const,
      username: 'alice.1a2b3c4d',
      password: 'secret',
      ip: '127.0.0.1:5000',
      sessionId: Buffer.from('s'),
      clientVersion: Buffer.from('SSH-2.0-test'),
    }

    const granted = await panel.validateSftpCredentials(request)
    const denied = await panel
      .validateSftpCredentials({ ...request, password: 'wrong' })
      .catch((err: unknown) => err)

    expect(granted).toEqual({ user: 'alice.1a2b3c4d', server: A, permissions: ['*'] })
    expect(isDaemonError(denied) && denied.code).toBe('DENIED')
  })

  it('rejects a call whose signal is already aborted', async () => {
    const panel = new InMemoryPanelGateway([buildServerConfiguration(A)])

    const failure = await panel
      .getServerConfiguration(A, AbortSignal.abort(new Error('gone')))
      .catch((err: unknown) => err)

    expect(failure).toEqual(new Error('gone'))
  })
})
