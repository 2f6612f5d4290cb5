import { isDaemonError } from '@node/shared-kernel'
import { describe, expect, it } from 'vitest'

import {
  applyPanelUpdate,
  PANEL_UPDATE_REJECTED,
  PanelUpdateRejectedError,
} from './apply-panel-update.js'
import { editConfig } from './edit-config.js'
import { defaultConfig } from './load-config.js'
import type { DaemonConfig } from './schema.js'

/** The body the Panel sends when a node is saved (http-api.md §5.2). */
const PANEL_BODY = {
  debug: false,
  uuid: 'node-uuid',
  token_id: 'AAAAAAAAAAAAAAAA',
  token: 'new-token-new-token-new-token-new-token-new-token-new-token-1234',
  api: {
    host: '0.0.0.0',
    port: 8443,
    ssl: {
      enabled: true,
      cert: '/etc/letsencrypt/live/node.example.com/fullchain.pem',
      key: '/etc/letsencrypt/live/node.example.com/privkey.pem',
    },
    upload_limit: 250,
  },
  system: { data: '/srv/volumes', sftp: { bind_port: 2222 } },
  allowed_mounts: ['/mnt/shared'],
  remote: 'https://panel.example.com',
}

const current = editConfig(defaultConfig(), (c) => {
  c.debug = true
  c.token = 'old-token'
  c.api.ssl = { enabled: true, cert: '/etc/ssl/node.crt', key: '/etc/ssl/node.key' }
  c.allowed_mounts = ['/mnt/existing']
})

function applied(base: DaemonConfig, body: unknown) {
  const result = applyPanelUpdate(base, body)
  if (!result.applied) throw new Error('expected the update to be applied')
  return result
}

function rejection(base: DaemonConfig, body: unknown): unknown {
  try {
    applyPanelUpdate(base, body)
  } catch (err) {
    return err
  }
  return undefined
}

describe('applyPanelUpdate', () => {
  it("applies the Panel's keys over a copy of the current configuration", () => {
    const { config, changedKeys } = applied(current, PANEL_BODY)

    expect(config.debug).toBe(false)
    expect(config.uuid).toBe('node-uuid')
    expect(config.token_id).toBe('AAAAAAAAAAAAAAAA')
    expect(config.token).toBe(PANEL_BODY.token)
    expect(config.api.port).toBe(8443)
    expect(config.api.upload_limit).toBe(250)
    expect(config.system.sftp.bind_port).toBe(2222)
    expect(config.docker).toEqual(current.docker)
    expect(current.token).toBe('old-token')
    expect(changedKeys).toEqual([
      'debug',
      'uuid',
      'token_id',
      'token',
      'api.port',
      'api.upload_limit',
      'system.sftp.bind_port',
    ])
  })

  it('never moves the data or the credentials: remote, system.data and system.*_directory', () => {
    const body = {
      ...PANEL_BODY,
      remote: 'http://attacker.example.com',
      system: {
        data: '/elsewhere',
        RootDirectory: '/elsewhere/root',
        logdirectory: '/elsewhere/log',
        ArchiveDirectory: '/elsewhere/archives',
        backupdirectory: '/elsewhere/backups',
        TmpDirectory: '/elsewhere/tmp',
        sftp: { bind_port: 2222 },
      },
    }

    const { config, changedKeys, ignoredKeys } = applied(current, body)

    expect(config.remote).toBe(current.remote)
    expect(config.system.data).toBe(current.system.data)
    for (const key of ['root', 'log', 'archive', 'backup', 'tmp'] as const) {
      expect(config.system[`${key}_directory`]).toBe(current.system[`${key}_directory`])
    }
    expect(ignoredKeys).toEqual([
      'system.root_directory',
      'system.log_directory',
      'system.data',
      'system.archive_directory',
      'system.backup_directory',
      'system.tmp_directory',
      'remote',
    ])
    expect(changedKeys).not.toContain('remote')
    expect(config.token).toBe(PANEL_BODY.token)
    expect(config.system.sftp.bind_port).toBe(2222)
  })

  it('ignores such a key even when its value could not be written', () => {
    const { config, ignoredKeys } = applied(current, { remote: 'not a url', debug: false })

    expect(config.remote).toBe(current.remote)
    expect(ignoredKeys).toEqual(['remote'])
  })

  it('names nothing when the Panel sends the values the node already has', () => {
    const body = { remote: current.remote, system: { data: current.system.data } }

    expect(applied(current, body).ignoredKeys).toEqual([])
  })

  it('ignores allowed_mounts, which Wings does not bind from JSON', () => {
    const { config } = applied(current, PANEL_BODY)

    expect(config.allowed_mounts).toEqual(['/mnt/existing'])
  })

  it("keeps the node's certificate paths when the Panel sends Let's Encrypt ones", () => {
    const { config } = applied(current, PANEL_BODY)

    expect(config.api.ssl).toEqual({
      enabled: true,
      cert: '/etc/ssl/node.crt',
      key: '/etc/ssl/node.key',
    })
  })

  it('takes certificate paths outside /etc/letsencrypt/live/', () => {
    const body = { api: { ssl: { enabled: true, cert: '/opt/c.pem', key: '/opt/k.pem' } } }

    const { config } = applied(current, body)

    expect(config.api.ssl).toEqual({ enabled: true, cert: '/opt/c.pem', key: '/opt/k.pem' })
  })

  it('changes nothing when ignore_panel_config_updates is set', () => {
    const ignoring = editConfig(current, (c) => {
      c.ignore_panel_config_updates = true
    })

    expect(applyPanelUpdate(ignoring, PANEL_BODY)).toEqual({ applied: false })
    expect(applyPanelUpdate(ignoring, 'not even an object')).toEqual({ applied: false })
  })

  it('matches keys as Go does: exact JSON name, else case-insensitively', () => {
    const body = {
      DEBUG: true,
      UUID: 'upper',
      Token_ID: 'mixed-case-id',
      API: { HOST: '127.0.0.1', Ssl: { ENABLED: false } },
      system: { SFTP: { Bind_Port: 2300, READONLY: true } },
      throttles: { LINES: 10 },
      docker: { Network: { DNS: ['9.9.9.9'] } },
    }

    const { config } = applied(current, body)

    expect(config.debug).toBe(true)
    expect(config.uuid).toBe('upper')
    expect(config.token_id).toBe('mixed-case-id')
    expect(config.api.host).toBe('127.0.0.1')
    expect(config.api.ssl.enabled).toBe(false)
    expect(config.system.sftp.bind_port).toBe(2300)
    expect(config.system.sftp.read_only).toBe(true)
    expect(config.throttles.lines).toBe(10)
    expect(config.docker.network.dns).toEqual(['9.9.9.9'])
  })

  it('does not bind snake_case names of fields that have no JSON tag', () => {
    const body = {
      system: {
        root_directory: '/elsewhere',
        log_directory: '/elsewhere/logs',
        sftp: { read_only: true },
        crash_detection: { enabled: false },
      },
      remote_query: { boot_servers_per_page: 5 },
      docker: { network: { network_mode: 'host', is_internal: true } },
    }

    const { config, changedKeys } = applied(current, body)

    expect(config).toEqual(current)
    expect(changedKeys).toEqual([])
  })

  it('binds those fields by their Go names, in any case', () => {
    const body = {
      system: {
        CrashDetection: { CrashDetectionEnabled: false, timeout: 5 },
      },
      remote_query: { BootServersPerPage: 5 },
      docker: { network: { mode: 'host', isinternal: true } },
    }

    const { config } = applied(current, body)

    expect(config.system.crash_detection).toEqual({
      enabled: false,
      detect_clean_exit_as_crash: true,
      timeout: 5,
    })
    expect(config.remote_query.boot_servers_per_page).toBe(5)
    expect(config.docker.network.network_mode).toBe('host')
    expect(config.docker.network.is_internal).toBe(true)
  })

  it("never binds this daemon's own keys", () => {
    const body = {
      system: { environment: 'process' },
      api: { accept_tokens_without_scope: true },
    }

    const { config } = applied(current, body)

    expect(config.system.environment).toBe('docker')
    expect(config.api.accept_tokens_without_scope).toBe('learn')
  })

  it('ignores unknown keys and keeps unknown keys of the current configuration', () => {
    const withExtra = { ...current, pelican_only: { a: 1 } } as DaemonConfig

    const { config } = applied(withExtra, { something_new: 1, api: { nope: true } })

    expect((config as unknown as Record<string, unknown>)['pelican_only']).toEqual({ a: 1 })
    expect(config.api).toEqual(current.api)
  })

  it('merges maps entry by entry and replaces lists; null empties them', () => {
    const base = editConfig(current, (c) => {
      c.docker.registries = { 'a.io': { username: 'a', password: 'pa' } }
      c.allowed_origins = ['https://one.example.com']
    })
    const body = {
      docker: {
        registries: { 'b.io': { username: 'b', password: 'pb' } },
        log_config: { config: { 'max-size': '10m' } },
        overhead: { multipliers: { '2048': 1.2 } },
      },
      allowed_origins: ['https://two.example.com'],
      api: { trusted_proxies: null },
    }

    const { config } = applied(base, body)

    expect(config.docker.registries).toEqual({
      'a.io': { username: 'a', password: 'pa' },
      'b.io': { username: 'b', password: 'pb' },
    })
    expect(config.docker.log_config.config['max-size']).toBe('10m')
    expect(config.docker.log_config.config['mode']).toBe('non-blocking')
    expect(config.docker.overhead.multipliers).toEqual({ '2048': 1.2 })
    expect(config.allowed_origins).toEqual(['https://two.example.com'])
    expect(config.api.trusted_proxies).toEqual([])
  })

  it('leaves a value alone when the Panel sends null for it', () => {
    const { config } = applied(current, { token: null, api: { port: null }, system: null })

    expect(config).toEqual(current)
  })

  it('applies an empty object or a null body as no change', () => {
    expect(applied(current, {}).config).toEqual(current)
    expect(applied(current, null).changedKeys).toEqual([])
  })

  it('rejects wrong types with the generic 400 that carries a request id', () => {
    const bodies: unknown[] = [
      { api: { port: '8080' } },
      { api: { port: 80.5 } },
      { debug: 'true' },
      { api: 'x' },
      { throttles: { lines: -1 } },
      { docker: { overhead: { multipliers: { big: 1.1 } } } },
      { allowed_origins: 'https://x' },
      [PANEL_BODY],
      'text',
    ]
    for (const body of bodies) {
      const failure = rejection(current, body)

      expect(isDaemonError(failure), JSON.stringify(body)).toBe(true)
      expect(failure).toMatchObject({ code: 'BAD_REQUEST', message: PANEL_UPDATE_REJECTED })
      expect(failure).toBeInstanceOf(PanelUpdateRejectedError)
    }
  })

  it('rejects values the configuration file could not hold', () => {
    const failure = rejection(current, { api: { port: 70000 } })

    expect(failure).toMatchObject({ code: 'BAD_REQUEST', message: PANEL_UPDATE_REJECTED })
    expect(String((failure as Error).cause)).toContain('api.port')
  })
})
