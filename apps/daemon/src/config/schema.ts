import {
  absolutePath,
  bool,
  boolOrLearn,
  float,
  int,
  list,
  multiplierMap,
  oneOf,
  port,
  positiveInt,
  registryMap,
  str,
  stringMap,
  uint,
  url,
  type Setting,
} from './setting.js'

/** Where Wings looks for its configuration when `--config` is not given. */
export const DEFAULT_CONFIG_PATH = '/etc/pterodactyl/config.yml'

/**
 * Every key of Wings' config.yml (behaviour.md §15, pterodactyl/wings v1.11), with Wings' names,
 * nesting and defaults, so that existing files load unchanged. Keys marked `extension: true` are
 * this daemon's own; Wings ignores them. docs/configuration.md is generated from this object.
 */
export const configSchema = {
  debug: bool({
    doc: 'Log at debug level. The `--debug` flag forces it for one run without writing it here.',
    default: false,
    env: 'WINGS_DEBUG',
  }),
  app_name: str({
    doc: 'Name shown in the console notices the daemon prints into a server console.',
    default: 'Pterodactyl',
  }),
  uuid: str({ doc: "This node's UUID in the Panel.", default: '' }),
  token_id: str({
    doc: 'Identifier of the node token, sent to the Panel as `Bearer <token_id>.<token>`.',
    default: '',
    env: 'WINGS_TOKEN_ID',
  }),
  token: str({
    doc: 'The node secret: the bearer token the Panel presents, and the key that signs its JWTs.',
    default: '',
    env: 'WINGS_TOKEN',
    sensitive: true,
  }),
  api: {
    host: str({
      doc: 'Address the HTTP API listens on.',
      default: '0.0.0.0',
      env: 'WINGS_API_HOST',
    }),
    port: port({ doc: 'Port the HTTP API listens on.', default: 8080, env: 'WINGS_API_PORT' }),
    ssl: {
      enabled: bool({ doc: 'Serve the API over HTTPS with `cert` and `key`.', default: false }),
      cert: str({ doc: 'Path of the PEM certificate (chain) for HTTPS.', default: '' }),
      key: str({ doc: 'Path of the PEM private key for HTTPS.', default: '' }),
    },
    disable_remote_download: bool({
      doc: 'Refuse `/files/pull` (downloading a URL into a server). Read once at start-up.',
      default: false,
    }),
    upload_limit: int({
      doc: 'Largest file accepted by `/upload/file`, per file.',
      default: 100,
      type: 'integer (MiB)',
    }),
    trusted_proxies: list({
      doc: 'Proxies (IPs or CIDRs) whose `X-Forwarded-For` / `X-Real-IP` headers are believed.',
      default: [],
    }),
    websocket: {
      max_connections_per_server: positiveInt({
        doc: 'Console websockets open at once on one server, all users together; more are refused with 400. Read at start-up.',
        default: 30,
        extension: true,
      }),
      max_unauthenticated_connections: positiveInt({
        doc: 'Console websockets on the whole node that have not sent a valid `auth` yet; more are refused with 400. Read at start-up.',
        default: 256,
        extension: true,
      }),
      max_frame_size: positiveInt({
        doc: 'Largest message a browser may send on a console websocket; a larger one closes the socket (1009). Read at start-up.',
        default: 4096,
        type: 'integer ≥ 1 (bytes)',
        extension: true,
      }),
      rate_limits: {
        global: {
          burst: positiveInt({
            doc: 'Messages of one socket, of any event: how many may arrive at once.',
            default: 10,
            extension: true,
          }),
          refill_interval: positiveInt({
            doc: 'Messages of one socket, of any event: one more is allowed after each such interval.',
            default: 200,
            type: 'integer ≥ 1 (ms)',
            extension: true,
          }),
        },
        auth: {
          burst: positiveInt({
            doc: '`auth` messages of one socket: how many may arrive at once.',
            default: 2,
            extension: true,
          }),
          refill_interval: positiveInt({
            doc: '`auth` messages of one socket: one more is allowed after each such interval.',
            default: 5000,
            type: 'integer ≥ 1 (ms)',
            extension: true,
          }),
        },
        logs: {
          burst: positiveInt({
            doc: '`send logs` messages of one socket: how many may arrive at once.',
            default: 2,
            extension: true,
          }),
          refill_interval: positiveInt({
            doc: '`send logs` messages of one socket: one more is allowed after each such interval.',
            default: 5000,
            type: 'integer ≥ 1 (ms)',
            extension: true,
          }),
        },
        command: {
          burst: positiveInt({
            doc: '`send command` messages of one socket: how many may arrive at once.',
            default: 10,
            extension: true,
          }),
          refill_interval: positiveInt({
            doc: '`send command` messages of one socket: one more is allowed after each such interval.',
            default: 1000,
            type: 'integer ≥ 1 (ms)',
            extension: true,
          }),
        },
        other: {
          burst: positiveInt({
            doc: 'Other messages of one socket (`set state`, `send stats`): how many may arrive at once.',
            default: 4,
            extension: true,
          }),
          refill_interval: positiveInt({
            doc: 'Other messages of one socket (`set state`, `send stats`): one more is allowed after each such interval.',
            default: 1000,
            type: 'integer ≥ 1 (ms)',
            extension: true,
          }),
        },
      },
    },
    accept_tokens_without_scope: boolOrLearn({
      doc:
        'Panel-signed JWTs without a `scope` claim, as Panels older than 1.12 sign them. ' +
        '`learn`: accepted until the first valid token that carries a scope, refused from then ' +
        'on (remembered in `<root_directory>/token-scope.json`, logged once). `true`: always ' +
        'accepted (judged by their claims). `false`: always refused, as Wings 1.12 does.',
      default: 'learn',
      extension: true,
    }),
  },
  system: {
    root_directory: absolutePath({
      doc: "Directory for the daemon's own state: `states.json`, `wings.db`, `.tls-cache/`.",
      default: '/var/lib/pterodactyl',
      env: 'WINGS_ROOT_DIRECTORY',
    }),
    log_directory: absolutePath({
      doc: 'Directory for `wings.log` and `install/<uuid>.log`.',
      default: '/var/log/pterodactyl',
      env: 'WINGS_LOG_DIRECTORY',
    }),
    data: absolutePath({
      doc: 'Directory holding one directory per server (`<data>/<uuid>`) and the SFTP host key.',
      default: '/var/lib/pterodactyl/volumes',
      env: 'WINGS_DATA_DIRECTORY',
    }),
    archive_directory: absolutePath({
      doc: 'Directory for transfer archives.',
      default: '/var/lib/pterodactyl/archives',
    }),
    backup_directory: absolutePath({
      doc: 'Directory for local backups (`<uuid>.tar.gz`).',
      default: '/var/lib/pterodactyl/backups',
    }),
    tmp_directory: absolutePath({
      doc: 'Directory for install scripts (`<uuid>/install.sh`).',
      default: '/tmp/pterodactyl',
    }),
    username: str({
      doc: 'System user that owns server files and runs the containers (created when missing).',
      default: 'pterodactyl',
    }),
    timezone: str({
      doc: 'Time zone passed to containers and used by schedules. Empty: detected at start-up.',
      default: '',
    }),
    user: {
      rootless: {
        enabled: bool({
          doc: 'Rootless container engine: run as the current user instead of `username`.',
          default: false,
        }),
        container_uid: int({ doc: 'User id inside containers in rootless mode.', default: 0 }),
        container_gid: int({ doc: 'Group id inside containers in rootless mode.', default: 0 }),
      },
      uid: int({ doc: 'Uid of `username`; filled in at start-up.', default: 0 }),
      gid: int({ doc: 'Gid of `username`; filled in at start-up.', default: 0 }),
    },
    disk_check_interval: int({
      doc: "How long a server's computed disk usage stays fresh. 0 disables disk checks.",
      default: 150,
      type: 'integer (seconds)',
    }),
    disk_reserve: uint({
      doc:
        'Free space every write into a server leaves on the volume of `data` (everything written ' +
        "through a server's filesystem jail: file writes, uploads, copies, remote pulls, compress " +
        'and decompress): a write that would leave less fails with the disk-space error, whether ' +
        'the server has a disk limit or not, so no server can fill the node. 0 turns it off.',
      default: 1024,
      env: 'WINGS_DISK_RESERVE',
      type: 'integer ≥ 0 (MiB)',
      extension: true,
    }),
    activity_send_interval: int({
      doc: 'How often queued activity is sent to the Panel (values below 1 count as 1).',
      default: 60,
      type: 'integer (seconds)',
    }),
    activity_send_count: int({
      doc: 'Activity entries sent per batch (and merged SFTP entries per batch).',
      default: 100,
    }),
    activity_max_rows: positiveInt({
      doc:
        'Activity entries kept on the node while they wait for the Panel (in `wings.db`). Once ' +
        'full, new entries are dropped and logged, never older ones.',
      default: 50_000,
      extension: true,
    }),
    activity_max_rows_per_server: positiveInt({
      doc:
        "Activity entries of one server kept while they wait, so that one server's flood leaves " +
        'room for the others.',
      default: 10_000,
      extension: true,
    }),
    check_permissions_on_boot: bool({
      doc: "Fix the ownership of a server's files when it starts.",
      default: true,
    }),
    enable_log_rotate: bool({
      doc: 'Write `/etc/logrotate.d/wings` at start-up when it is missing.',
      default: true,
    }),
    websocket_log_count: int({
      doc: 'Console lines sent to a websocket client that asks for the logs.',
      default: 150,
    }),
    sftp: {
      bind_address: str({ doc: 'Address the SFTP server listens on.', default: '0.0.0.0' }),
      bind_port: port({
        doc: 'Port the SFTP server listens on.',
        default: 2022,
        env: 'WINGS_SFTP_BIND_PORT',
      }),
      read_only: bool({ doc: 'Refuse every SFTP write.', default: false }),
    },
    crash_detection: {
      enabled: bool({ doc: 'Restart servers that stop without being asked to.', default: true }),
      detect_clean_exit_as_crash: bool({
        doc: 'Count an unrequested exit with code 0 as a crash.',
        default: true,
      }),
      timeout: int({
        doc: 'A crash within this time of the previous one is not restarted. 0: always restart.',
        default: 60,
        type: 'integer (seconds)',
      }),
    },
    backups: {
      write_limit: int({
        doc: 'Disk write limit while creating backups. 0: unlimited.',
        default: 0,
        type: 'integer (MiB/s)',
      }),
      compression_level: oneOf(['none', 'best_speed', 'best_compression'], {
        doc: 'Gzip level of backup archives: none, level 1 or level 9.',
        default: 'best_speed',
      }),
    },
    transfers: {
      download_limit: int({
        doc: 'Network read limit when receiving a transfer (reserved; unused by Wings 1.11). 0: unlimited.',
        default: 0,
        type: 'integer (MiB/s)',
      }),
    },
    openat_mode: oneOf(['auto', 'openat2', 'openat'], {
      doc: "Which Linux call confines file access to a server root (Wings' setting; kept for compatibility).",
      default: 'auto',
    }),
    environment: oneOf(['docker', 'process'], {
      doc:
        'Where server processes run: `docker` containers (as Wings), or plain child processes ' +
        '(`process`, for hosts without Docker; no isolation).',
      default: 'docker',
      env: 'WINGS_ENVIRONMENT',
      extension: true,
    }),
  },
  docker: {
    network: {
      interface: str({
        doc: "Host address of the Docker network's bridge.",
        default: '172.18.0.1',
      }),
      dns: list({ doc: 'DNS servers given to containers.', default: ['1.1.1.1', '1.0.0.1'] }),
      name: str({
        doc: 'Name of the Docker network (created when missing).',
        default: 'pterodactyl_nw',
      }),
      ispn: bool({
        doc: 'Internal server port numbering (set from the driver at start-up).',
        default: false,
      }),
      driver: str({ doc: 'Docker network driver.', default: 'bridge' }),
      network_mode: str({ doc: 'Network mode of server containers.', default: 'pterodactyl_nw' }),
      is_internal: bool({
        doc: 'Create the network as internal (no outside access).',
        default: false,
      }),
      enable_icc: bool({
        doc: 'Allow containers on the network to talk to each other.',
        default: true,
      }),
      network_mtu: int({ doc: 'MTU of the network.', default: 1500 }),
      interfaces: {
        v4: {
          subnet: str({ doc: 'IPv4 subnet of the network.', default: '172.18.0.0/16' }),
          gateway: str({ doc: 'IPv4 gateway of the network.', default: '172.18.0.1' }),
        },
        v6: {
          subnet: str({ doc: 'IPv6 subnet of the network.', default: 'fdba:17c8:6c94::/64' }),
          gateway: str({ doc: 'IPv6 gateway of the network.', default: 'fdba:17c8:6c94::1011' }),
        },
      },
    },
    domainname: str({ doc: 'Domain name given to containers.', default: '' }),
    registries: registryMap({
      doc: 'Registry logins used to pull images; an image uses the first registry its name starts with.',
      default: {},
      sensitive: true,
    }),
    tmpfs_size: uint({
      doc: 'Size of the `/tmp` tmpfs mounted into containers (host memory).',
      default: 100,
      type: 'integer ≥ 0 (MiB)',
    }),
    container_pid_limit: int({ doc: 'Most processes one container may run.', default: 512 }),
    installer_limits: {
      memory: int({
        doc: "Least memory an install container gets (the server's own limit wins when higher).",
        default: 1024,
        type: 'integer (MiB)',
      }),
      cpu: int({
        doc: "Least CPU an install container gets (the server's own limit wins when higher).",
        default: 100,
        type: 'integer (%)',
      }),
    },
    overhead: {
      override: bool({
        doc: 'Use `default_multiplier` and `multipliers` instead of the built-in memory overhead.',
        default: false,
      }),
      default_multiplier: float({
        doc: 'Memory overhead multiplier when no entry of `multipliers` applies.',
        default: 1.05,
      }),
      multipliers: multiplierMap({
        doc: "Memory limit (MiB) → multiplier; the smallest key ≥ the server's limit applies.",
        default: {},
      }),
    },
    use_performant_inspect: bool({
      doc: 'Inspect containers without size data (faster).',
      default: true,
    }),
    system_ips: list({
      doc: 'Addresses added to those `GET /api/system/ips` finds on the interfaces.',
      default: [],
      pelican: true,
    }),
    userns_mode: str({
      doc: "User namespace mode of containers; `host` disables remapping, empty: Docker's default.",
      default: '',
    }),
    log_config: {
      type: str({ doc: 'Docker log driver of server containers.', default: 'local' }),
      config: stringMap({
        doc: 'Options of the log driver.',
        default: { 'max-size': '5m', 'max-file': '1', compress: 'false', mode: 'non-blocking' },
      }),
    },
  },
  throttles: {
    enabled: bool({
      doc: 'Console output throttling (Wings 1.11 ignores this switch).',
      default: true,
    }),
    lines: uint({ doc: 'Console lines allowed per interval.', default: 2000 }),
    line_reset_interval: uint({
      doc: 'Length of the throttling interval.',
      default: 100,
      type: 'integer ≥ 0 (ms)',
    }),
  },
  Search: {
    blacklisted_dirs: list({
      doc: 'Directory names `files/search` never descends into (compared without case).',
      default: ['node_modules', '.git', '.wine', 'appcache', 'depotcache', 'vendor'],
      pelican: true,
    }),
    max_recursion_depth: uint({
      doc: 'How deep below its directory `files/search` looks (0: that directory only).',
      default: 8,
      pelican: true,
    }),
  },
  metrics: {
    enabled: bool({
      doc: 'Serve `/metrics` (Prometheus text format) on its own listener, `host`:`port`.',
      default: false,
      extension: true,
    }),
    host: str({
      doc: 'Address the metrics listener binds; loopback by default, so only the node scrapes it.',
      default: '127.0.0.1',
      extension: true,
    }),
    port: port({ doc: 'Port of the metrics listener.', default: 9464, extension: true }),
    token: str({
      doc: 'When set, a scrape must send `Authorization: Bearer <token>`. Not the node token: a scraper holding it could drive the node.',
      default: '',
      env: 'WINGS_METRICS_TOKEN',
      sensitive: true,
      extension: true,
    }),
  },
  remote: url({
    doc: 'Base URL of the Panel. Empty: no Panel configured.',
    default: '',
    env: 'WINGS_REMOTE',
  }),
  remote_query: {
    timeout: int({
      doc: 'Time allowed for one request to the Panel.',
      default: 30,
      type: 'integer (seconds)',
    }),
    boot_servers_per_page: int({
      doc: 'Servers fetched per page when loading servers at start-up.',
      default: 50,
    }),
  },
  allowed_mounts: list({
    doc: "Host paths that may be mounted into servers. Not changed by the Panel's `/api/update`.",
    default: [],
  }),
  allowed_origins: list({
    doc: 'Extra browser origins allowed by CORS and the websocket besides `remote`; `*` allows all.',
    default: [],
  }),
  allow_cors_private_network: bool({
    doc: 'Send the private-network CORS header (browsers reaching the node on a private address).',
    default: false,
  }),
  ignore_panel_config_updates: bool({
    doc: 'Ignore configuration the Panel pushes with `POST /api/update`.',
    default: false,
  }),
} as const

/** The schema's type: a tree whose leaves are settings. */
type ConfigSchema = typeof configSchema

/** A value tree shaped like schema `S`, with each setting replaced by its value type. */
type ConfigOf<S> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : ConfigOf<S[K]>
}

/**
 * The daemon's configuration, with Wings' snake_case keys and nesting. At run time the object
 * also holds any keys of the file that the schema does not know (kept so they survive a rewrite).
 */
export type DaemonConfig = ConfigOf<ConfigSchema>
