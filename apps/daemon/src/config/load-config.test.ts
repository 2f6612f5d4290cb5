import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import convict from 'convict'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import {
  checkConfig,
  ConfigInvalidError,
  ConfigNotFoundError,
  configNotFoundNotice,
  defaultConfig,
  loadConfig,
} from './load-config.js'
import { configSchema, DEFAULT_CONFIG_PATH } from './schema.js'

/** The file the Panel shows on a node's Configuration tab (panel-contract.md §D). */
export const PANEL_CONFIG_YML = `debug: false
uuid: 0f4b8f3e-3c8a-4b8e-9d9a-2c1f6b7a8e90
token_id: Q0mVwY8pXb3Kc7Rt
token: Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2
api:
  host: 0.0.0.0
  port: 8080
  ssl:
    enabled: true
    cert: /etc/letsencrypt/live/node1.example.com/fullchain.pem
    key: /etc/letsencrypt/live/node1.example.com/privkey.pem
  upload_limit: 100
system:
  data: /var/lib/pterodactyl/volumes
  sftp:
    bind_port: 2022
allowed_mounts: []
remote: 'https://panel.example.com'
`

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'daemon-config-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name)
  await writeFile(file, text)
  return file
}

describe('defaultConfig', () => {
  it('holds the defaults of behaviour.md §15', () => {
    const config = defaultConfig()

    expect(config).toEqual({
      debug: false,
      app_name: 'Pterodactyl',
      uuid: '',
      token_id: '',
      token: '',
      api: {
        host: '0.0.0.0',
        port: 8080,
        ssl: { enabled: false, cert: '', key: '' },
        disable_remote_download: false,
        upload_limit: 100,
        trusted_proxies: [],
        websocket: {
          max_connections_per_server: 30,
          max_unauthenticated_connections: 256,
          max_frame_size: 4096,
          rate_limits: {
            global: { burst: 10, refill_interval: 200 },
            auth: { burst: 2, refill_interval: 5000 },
            logs: { burst: 2, refill_interval: 5000 },
            command: { burst: 10, refill_interval: 1000 },
            other: { burst: 4, refill_interval: 1000 },
          },
        },
        accept_tokens_without_scope: 'learn',
      },
      system: {
        root_directory: '/var/lib/pterodactyl',
        log_directory: '/var/log/pterodactyl',
        data: '/var/lib/pterodactyl/volumes',
        archive_directory: '/var/lib/pterodactyl/archives',
        backup_directory: '/var/lib/pterodactyl/backups',
        tmp_directory: '/tmp/pterodactyl',
        username: 'pterodactyl',
        timezone: '',
        user: { rootless: { enabled: false, container_uid: 0, container_gid: 0 }, uid: 0, gid: 0 },
        disk_check_interval: 150,
        disk_reserve: 1024,
        activity_send_interval: 60,
        activity_send_count: 100,
        activity_max_rows: 50_000,
        activity_max_rows_per_server: 10_000,
        check_permissions_on_boot: true,
        enable_log_rotate: true,
        websocket_log_count: 150,
        sftp: { bind_address: '0.0.0.0', bind_port: 2022, read_only: false },
        crash_detection: { enabled: true, detect_clean_exit_as_crash: true, timeout: 60 },
        backups: { write_limit: 0, compression_level: 'best_speed' },
        transfers: { download_limit: 0 },
        openat_mode: 'auto',
        environment: 'docker',
      },
      docker: {
        network: {
          interface: '172.18.0.1',
          dns: ['1.1.1.1', '1.0.0.1'],
          name: 'pterodactyl_nw',
          ispn: false,
          driver: 'bridge',
          network_mode: 'pterodactyl_nw',
          is_internal: false,
          enable_icc: true,
          network_mtu: 1500,
          interfaces: {
            v4: { subnet: '172.18.0.0/16', gateway: '172.18.0.1' },
            v6: { subnet: 'fdba:17c8:6c94::/64', gateway: 'fdba:17c8:6c94::1011' },
          },
        },
        domainname: '',
        registries: {},
        tmpfs_size: 100,
        container_pid_limit: 512,
        installer_limits: { memory: 1024, cpu: 100 },
        overhead: { override: false, default_multiplier: 1.05, multipliers: {} },
        use_performant_inspect: true,
        system_ips: [],
        userns_mode: '',
        log_config: {
          type: 'local',
          config: { 'max-size': '5m', 'max-file': '1', compress: 'false', mode: 'non-blocking' },
        },
      },
      throttles: { enabled: true, lines: 2000, line_reset_interval: 100 },
      Search: {
        blacklisted_dirs: ['node_modules', '.git', '.wine', 'appcache', 'depotcache', 'vendor'],
        max_recursion_depth: 8,
      },
      metrics: { enabled: false, host: '127.0.0.1', port: 9464, token: '' },
      remote: '',
      remote_query: { timeout: 30, boot_servers_per_page: 50 },
      allowed_mounts: [],
      allowed_origins: [],
      allow_cors_private_network: false,
      ignore_panel_config_updates: false,
    })
  })

  it('defaults to /etc/pterodactyl/config.yml', () => {
    expect(DEFAULT_CONFIG_PATH).toBe('/etc/pterodactyl/config.yml')
  })
})

describe('loadConfig', () => {
  it('loads the file the Panel generates, taking defaults for everything else', async () => {
    const file = await write('config.yml', PANEL_CONFIG_YML)

    const { config, unknownKeys, envOverrides } = await loadConfig({ path: file, env: {} })

    expect(config.uuid).toBe('0f4b8f3e-3c8a-4b8e-9d9a-2c1f6b7a8e90')
    expect(config.token_id).toBe('Q0mVwY8pXb3Kc7Rt')
    expect(config.token).toBe('Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2')
    expect(config.api.ssl).toEqual({
      enabled: true,
      cert: '/etc/letsencrypt/live/node1.example.com/fullchain.pem',
      key: '/etc/letsencrypt/live/node1.example.com/privkey.pem',
    })
    expect(config.remote).toBe('https://panel.example.com')
    expect(config.system.sftp).toEqual({
      bind_address: '0.0.0.0',
      bind_port: 2022,
      read_only: false,
    })
    expect(config.system.root_directory).toBe('/var/lib/pterodactyl')
    expect(config.docker).toEqual(defaultConfig().docker)
    expect(config.throttles).toEqual(defaultConfig().throttles)
    expect(unknownKeys).toEqual([])
    expect(envOverrides).toEqual([])
  })

  it('resolves a relative path against cwd', async () => {
    await write('config.yml', 'debug: true\n')

    const loaded = await loadConfig({ path: 'config.yml', cwd: dir, env: {} })

    expect(loaded.path).toBe(path.join(dir, 'config.yml'))
    expect(loaded.config.debug).toBe(true)
  })

  it('keeps keys the schema does not know and reports them', async () => {
    const file = await write(
      'config.yml',
      'system:\n  passwd:\n    enabled: true\n  data: /srv/volumes\nremote_query:\n  custom_headers:\n    X-A: b\nfuture: [1, 2]\n',
    )

    const { config, unknownKeys } = await loadConfig({ path: file, env: {} })

    expect(unknownKeys).toEqual(['system.passwd', 'remote_query.custom_headers', 'future'])
    expect(config.system.data).toBe('/srv/volumes')
    expect((config.system as unknown as Record<string, unknown>)['passwd']).toEqual({
      enabled: true,
    })
    expect((config as unknown as Record<string, unknown>)['future']).toEqual([1, 2])
  })

  it('rejects a missing file with ConfigNotFoundError', async () => {
    const failure = await loadConfig({ path: path.join(dir, 'absent.yml'), env: {} }).catch(
      (err: unknown) => err,
    )

    expect(failure).toBeInstanceOf(ConfigNotFoundError)
    expect((failure as ConfigNotFoundError).message).toContain('Configuration File Not Found')
    expect((failure as ConfigNotFoundError).path).toBe(path.join(dir, 'absent.yml'))
    expect(configNotFoundNotice((failure as ConfigNotFoundError).path)).toContain(
      'Error: Configuration File Not Found',
    )
  })

  it('rejects a bad value naming the key and the expected form', async () => {
    const file = await write(
      'config.yml',
      'api:\n  port: eighty\nsystem:\n  sftp:\n    bind_port: 70000\n',
    )

    const failure = await loadConfig({ path: file, env: {} }).catch((err: unknown) => err)

    expect(failure).toBeInstanceOf(ConfigInvalidError)
    const problems = (failure as ConfigInvalidError).problems
    expect(problems).toContainEqual(
      expect.stringMatching(
        /^api\.port: must be a port number between 0 and 65535: value was "eighty"$/,
      ),
    )
    expect(problems).toContainEqual(
      expect.stringMatching(/^system\.sftp\.bind_port: must be a port number/),
    )
    expect((failure as Error).message).toContain(file)
  })

  it('names the key of each kind of bad value', async () => {
    const cases: [string, RegExp][] = [
      ['debug: maybe\n', /^debug: must be true or false/],
      [
        'api:\n  accept_tokens_without_scope: sometimes\n',
        /^api\.accept_tokens_without_scope: must be true, false or learn/,
      ],
      [
        'system:\n  backups:\n    compression_level: fast\n',
        /^system\.backups\.compression_level: must be one of the possible values: \["none","best_speed","best_compression"\]/,
      ],
      ['remote: panel.example.com\n', /^remote: must be an absolute http\(s\) URL/],
      [
        'docker:\n  network:\n    dns: {a: 1}\n',
        /^docker\.network\.dns: must be a list of strings/,
      ],
      [
        'docker:\n  overhead:\n    multipliers:\n      big: 1.1\n',
        /^docker\.overhead\.multipliers: key "big" must be a whole number of MiB/,
      ],
      [
        'docker:\n  registries:\n    r.io: yes\n',
        /^docker\.registries: entry "r\.io" must be a mapping/,
      ],
      ['throttles:\n  lines: -1\n', /^throttles\.lines: must be a whole number ≥ 0/],
      ['api: 5\n', /^api: must be a mapping of settings/],
      [
        'docker:\n  overhead:\n    default_multiplier: 1.5.0\n',
        /^docker\.overhead\.default_multiplier: must be a number/,
      ],
      [
        'system:\n  disk_check_interval: 1.5\n',
        /^system\.disk_check_interval: must be a whole number/,
      ],
      [
        'system:\n  data: volumes\n',
        /^system\.data: must be an absolute path \(starting with \/\): value was "volumes"$/,
      ],
      ['system:\n  log_directory: ./log\n', /^system\.log_directory: must be an absolute path/],
    ]
    for (const [text, expected] of cases) {
      const file = await write('config.yml', text)

      const failure = await loadConfig({ path: file, env: {} }).catch((err: unknown) => err)

      expect(failure, text).toBeInstanceOf(ConfigInvalidError)
      expect((failure as ConfigInvalidError).problems, text).toContainEqual(
        expect.stringMatching(expected),
      )
    }
  })

  it('reads accept_tokens_without_scope as learn, true or false', async () => {
    for (const [text, expected] of [
      ['learn', 'learn'],
      ['true', true],
      ['false', false],
    ] as const) {
      const file = await write('config.yml', `api:\n  accept_tokens_without_scope: ${text}\n`)

      const { config } = await loadConfig({ path: file, env: {} })

      expect(config.api.accept_tokens_without_scope).toBe(expected)
    }
  })

  it('says one problem in one line, several in a line each', async () => {
    const one = await write('one.yml', 'api:\n  port: eighty\n')
    const two = await write('two.yml', 'api:\n  port: eighty\ndebug: maybe\n')

    const [a, b] = await Promise.all(
      [one, two].map((p) => loadConfig({ path: p, env: {} }).catch((err: unknown) => err)),
    )

    expect((a as Error).message).toBe(
      `The configuration file ${one} is not valid: api.port: must be a port number between 0 and 65535: value was "eighty"`,
    )
    expect((b as Error).message.split('\n')).toHaveLength(3)
  })

  it('never prints the value of a secret in a validation error', async () => {
    const file = await write('config.yml', 'token: [s3cr3t-value]\n')

    const failure = await loadConfig({ path: file, env: {} }).catch((err: unknown) => err)

    expect((failure as ConfigInvalidError).problems).toEqual(['token: must be a string'])
  })

  it('rejects text that is not YAML, and a document that is not a mapping', async () => {
    const broken = await write('broken.yml', 'api:\n  port: [1\n')
    const scalar = await write('scalar.yml', 'just text\n')

    const [a, b] = await Promise.all(
      [broken, scalar].map((p) => loadConfig({ path: p, env: {} }).catch((err: unknown) => err)),
    )

    expect((a as ConfigInvalidError).problems[0]).toMatch(/^not valid YAML: /)
    expect((b as ConfigInvalidError).problems[0]).toMatch(/must be a YAML mapping/)
  })

  it('takes an empty file, and keys written without a value, as defaults', async () => {
    const empty = await write('empty.yml', '')
    const blanks = await write('blanks.yml', 'api:\n  port:\ndocker:\nallowed_mounts:\n')

    const a = await loadConfig({ path: empty, env: {} })
    const b = await loadConfig({ path: blanks, env: {} })

    expect(a.config).toEqual(defaultConfig())
    expect(b.config).toEqual(defaultConfig())
  })

  it('reads strings as yaml.v2 does: the source text of numbers and booleans', async () => {
    const file = await write(
      'config.yml',
      'token_id: 0123\nuuid: 1234567890123456789012\napp_name: yes\ndocker:\n  log_config:\n    config:\n      max-file: 3\n  registries:\n    r.io:\n      username: 007\n      password: on\n  network:\n    dns: [8.8.8.8, 1.1]\n',
    )

    const { config } = await loadConfig({ path: file, env: {} })

    expect(config.token_id).toBe('0123')
    expect(config.uuid).toBe('1234567890123456789012')
    expect(config.app_name).toBe('yes')
    expect(config.docker.log_config.config).toEqual({
      'max-size': '5m',
      'max-file': '3',
      compress: 'false',
      mode: 'non-blocking',
    })
    expect(config.docker.registries).toEqual({ 'r.io': { username: '007', password: 'on' } })
    expect(config.docker.network.dns).toEqual(['8.8.8.8', '1.1'])
  })

  it('reads YAML 1.1 booleans and octal numbers as yaml.v2 does', async () => {
    const file = await write(
      'config.yml',
      'debug: yes\napi:\n  ssl:\n    enabled: on\nsystem:\n  user:\n    uid: 0750\n',
    )

    const { config } = await loadConfig({ path: file, env: {} })

    expect(config.debug).toBe(true)
    expect(config.api.ssl.enabled).toBe(true)
    expect(config.system.user.uid).toBe(0o750)
  })

  it('reads the overhead multipliers map with integer keys', async () => {
    const file = await write(
      'config.yml',
      'docker:\n  overhead:\n    override: true\n    multipliers:\n      2048: 1.15\n      4096: 1.10\n',
    )

    const { config } = await loadConfig({ path: file, env: {} })

    expect(config.docker.overhead).toEqual({
      override: true,
      default_multiplier: 1.05,
      multipliers: { '2048': 1.15, '4096': 1.1 },
    })
  })

  it('lets environment variables override the file, and reports them', async () => {
    const file = await write('config.yml', 'token: from-file-token\napi:\n  port: 8080\n')

    const { config, envOverrides } = await loadConfig({
      path: file,
      env: {
        WINGS_TOKEN: 'from-env-token',
        WINGS_API_PORT: '9090',
        WINGS_DEBUG: 'true',
        UNRELATED: 'x',
      },
    })

    expect(config.token).toBe('from-env-token')
    expect(config.api.port).toBe(9090)
    expect(config.debug).toBe(true)
    expect(envOverrides).toEqual([
      { key: 'debug', variable: 'WINGS_DEBUG', value: true, fileValue: undefined },
      {
        key: 'token',
        variable: 'WINGS_TOKEN',
        value: 'from-env-token',
        fileValue: 'from-file-token',
      },
      { key: 'api.port', variable: 'WINGS_API_PORT', value: 9090, fileValue: 8080 },
    ])
  })

  it('names the environment variable behind a bad value', async () => {
    const file = await write('config.yml', '{}\n')

    const failure = await loadConfig({ path: file, env: { WINGS_API_PORT: '80abc' } }).catch(
      (err: unknown) => err,
    )

    expect((failure as ConfigInvalidError).problems).toEqual([
      'api.port: must be a port number between 0 and 65535: value was "80abc" (set by the environment variable WINGS_API_PORT)',
    ])
  })
})

describe('checkConfig', () => {
  it('accepts the defaults and names what is wrong otherwise', () => {
    const bad = { ...defaultConfig(), api: { ...defaultConfig().api, port: -1 } }

    expect(checkConfig(defaultConfig())).toEqual([])
    expect(checkConfig(bad)).toEqual([expect.stringMatching(/^api\.port: must be a port number/)])
  })
})

describe('the convict YAML parser', () => {
  it('is registered for .yml files', async () => {
    const file = await write('other.yml', 'api:\n  port: 1234\n')
    const instance = convict(configSchema as unknown as convict.Schema<{ api: { port: number } }>, {
      env: {},
      args: [],
    })

    instance.loadFile(file)

    expect(instance.get('api.port')).toBe(1234)
  })
})
