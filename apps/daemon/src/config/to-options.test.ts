import { describe, expect, it } from 'vitest'

import { editConfig } from './edit-config.js'
import { defaultConfig } from './load-config.js'
import { redactConfig } from './redact-config.js'
import { DEFAULT_RATES } from '../websocket/websocket-session.js'
import {
  activitySettings,
  apiListenOptions,
  daemonPaths,
  panelClientOptions,
  sftpListenOptions,
  websocketLimits,
} from './to-options.js'

const config = editConfig(defaultConfig(), (c) => {
  c.remote = 'https://panel.example.com/'
  c.token_id = 'id'
  c.token = 'secret-token-value'
  c.remote_query.timeout = 12
  c.system.root_directory = 'state'
  c.system.data = '/srv/volumes'
  c.api.ssl = { enabled: true, cert: '/c.pem', key: '/k.pem' }
  c.api.upload_limit = 2
  c.docker.registries = { 'r.io': { username: 'u', password: 'p' } }
})

describe('to-options', () => {
  it('maps the Panel client settings', () => {
    expect(panelClientOptions(config)).toEqual({
      baseUrl: 'https://panel.example.com',
      tokenId: 'id',
      token: 'secret-token-value',
      timeoutMs: 12_000,
      bootServersPerPage: 50,
    })
  })

  it('resolves every owned path, relative ones against cwd', () => {
    const paths = daemonPaths(config, '/opt/daemon')

    expect(paths).toEqual({
      rootDirectory: '/opt/daemon/state',
      logDirectory: '/var/log/pterodactyl',
      dataDirectory: '/srv/volumes',
      archiveDirectory: '/var/lib/pterodactyl/archives',
      backupDirectory: '/var/lib/pterodactyl/backups',
      tmpDirectory: '/tmp/pterodactyl',
      statesFile: '/opt/daemon/state/states.json',
      tokenScopeFile: '/opt/daemon/state/token-scope.json',
      activityDatabase: '/opt/daemon/state/wings.db',
      tlsCacheDirectory: '/opt/daemon/state/.tls-cache',
      logFile: '/var/log/pterodactyl/wings.log',
      installLogDirectory: '/var/log/pterodactyl/install',
      sftpHostKey: '/srv/volumes/.sftp/id_ed25519',
    })
  })

  it('maps the listeners', () => {
    expect(apiListenOptions(config)).toEqual({
      host: '0.0.0.0',
      port: 8080,
      tls: { certFile: '/c.pem', keyFile: '/k.pem' },
      uploadLimitBytes: 2 * 1024 * 1024,
      trustedProxies: [],
      disableRemoteDownload: false,
    })
    expect(apiListenOptions(defaultConfig())).not.toHaveProperty('tls')
    expect(sftpListenOptions(config, '/')).toEqual({
      host: '0.0.0.0',
      port: 2022,
      readOnly: false,
      hostKeyFile: '/srv/volumes/.sftp/id_ed25519',
    })
  })
})

describe('redactConfig', () => {
  it('masks the token and registry passwords, nothing else', () => {
    const redacted = redactConfig(config)

    expect(redacted.token).toBe('[redacted]')
    expect(redacted.docker.registries).toEqual({
      'r.io': { username: 'u', password: '[redacted]' },
    })
    expect(redacted.token_id).toBe('id')
    expect(redactConfig(defaultConfig()).token).toBe('')
    expect(config.token).toBe('secret-token-value')
  })
})

describe('editConfig', () => {
  it('returns a changed copy and leaves the original alone', () => {
    const base = defaultConfig()

    const edited = editConfig(base, (c) => {
      c.system.user.uid = 988
      c.allowed_mounts.push('/mnt')
    })

    expect(edited.system.user.uid).toBe(988)
    expect(edited.allowed_mounts).toEqual(['/mnt'])
    expect(base.system.user.uid).toBe(0)
    expect(base.allowed_mounts).toEqual([])
  })
})

describe('websocketLimits', () => {
  it("defaults to the websocket's built-in limits", () => {
    expect(websocketLimits(defaultConfig())).toEqual({
      perServer: 30,
      unauthenticated: 256,
      maxFrameBytes: 4096,
      rates: DEFAULT_RATES,
    })
  })
})

describe('activitySettings', () => {
  it('reads the activity keys, an interval or a count below 1 counting as 1', () => {
    const odd = editConfig(defaultConfig(), (c) => {
      c.system.activity_send_interval = 0
      c.system.activity_send_count = -5
    })

    expect(activitySettings(defaultConfig())).toEqual({
      sendIntervalMs: 60_000,
      sendCount: 100,
      maxRows: 50_000,
      maxRowsPerServer: 10_000,
    })
    expect(activitySettings(odd)).toMatchObject({ sendIntervalMs: 1000, sendCount: 1 })
  })
})
