/**
 * Wings' `config.Configuration` Go struct as encoding/json sees it (pterodactyl/wings v1.11,
 * config/config.go and config/config_docker.go): per field, our YAML key, its JSON name (the
 * `json` tag, else the Go field name; null for `json:"-"`) and its Go type. `POST /api/update`
 * and `wings configure` decode the Panel's JSON through this table, so that exactly the keys
 * Wings binds take effect (http-api.md §5.2). Keys this daemon adds are absent: not bindable.
 */

type GoScalar = 'bool' | 'string' | 'int' | 'uint' | 'float'
export type GoType = GoScalar | GoSlice | GoMap | GoStruct

interface GoSlice {
  readonly slice: GoType
}
interface GoMap {
  readonly map: GoType
  readonly key: 'string' | 'int'
}
export interface GoStruct {
  readonly fields: readonly GoField[]
}
interface GoField {
  /** Key in config.yml and in DaemonConfig. */
  readonly yaml: string
  /** The JSON name encoding/json matches; null when the field is `json:"-"`. */
  readonly json: string | null
  readonly type: GoType
}

/**
 * Where data lives and where the node's credentials go: bindable (Wings binds them, and
 * `wings configure` takes them) but never changed by `POST /api/update`, so a compromised Panel
 * cannot point the node at a host path or its credentials at another host (as Pelican).
 */
const API_PROTECTED_KEYS = /^(remote|system\.data|system\.[a-z_]+_directory)$/

/** Whether `POST /api/update` leaves the dotted key `key` alone (http-api.md §5.2, Decision). */
export function isApiProtectedKey(key: string): boolean {
  return API_PROTECTED_KEYS.test(key)
}

const f = (yaml: string, json: string | null, type: GoType): GoField => ({ yaml, json, type })
const struct = (...fields: GoField[]): GoStruct => ({ fields })
const strings: GoSlice = { slice: 'string' }

const sftp = struct(
  f('bind_address', 'bind_address', 'string'),
  f('bind_port', 'bind_port', 'int'),
  f('read_only', 'ReadOnly', 'bool'),
)

const api = struct(
  f('host', 'Host', 'string'),
  f('port', 'Port', 'int'),
  f(
    'ssl',
    'Ssl',
    struct(f('enabled', 'enabled', 'bool'), f('cert', 'cert', 'string'), f('key', 'key', 'string')),
  ),
  f('disable_remote_download', 'disable_remote_download', 'bool'),
  f('upload_limit', 'upload_limit', 'int'),
  f('trusted_proxies', 'trusted_proxies', strings),
)

const system = struct(
  f('root_directory', 'RootDirectory', 'string'),
  f('log_directory', 'LogDirectory', 'string'),
  f('data', 'Data', 'string'),
  f('archive_directory', 'ArchiveDirectory', 'string'),
  f('backup_directory', 'BackupDirectory', 'string'),
  f('tmp_directory', 'TmpDirectory', 'string'),
  f('username', 'Username', 'string'),
  f('timezone', 'Timezone', 'string'),
  f(
    'user',
    'User',
    struct(
      f(
        'rootless',
        'Rootless',
        struct(
          f('enabled', 'Enabled', 'bool'),
          f('container_uid', 'ContainerUID', 'int'),
          f('container_gid', 'ContainerGID', 'int'),
        ),
      ),
      f('uid', 'Uid', 'int'),
      f('gid', 'Gid', 'int'),
    ),
  ),
  f('disk_check_interval', 'DiskCheckInterval', 'int'),
  f('activity_send_interval', 'ActivitySendInterval', 'int'),
  f('activity_send_count', 'ActivitySendCount', 'int'),
  f('check_permissions_on_boot', 'CheckPermissionsOnBoot', 'bool'),
  f('enable_log_rotate', 'EnableLogRotate', 'bool'),
  f('websocket_log_count', 'WebsocketLogCount', 'int'),
  f('sftp', 'Sftp', sftp),
  f(
    'crash_detection',
    'CrashDetection',
    struct(
      f('enabled', 'CrashDetectionEnabled', 'bool'),
      f('detect_clean_exit_as_crash', 'DetectCleanExitAsCrash', 'bool'),
      f('timeout', 'timeout', 'int'),
    ),
  ),
  f(
    'backups',
    'Backups',
    struct(
      f('write_limit', 'WriteLimit', 'int'),
      f('compression_level', 'CompressionLevel', 'string'),
    ),
  ),
  f('transfers', 'Transfers', struct(f('download_limit', 'DownloadLimit', 'int'))),
  f('openat_mode', 'OpenatMode', 'string'),
)

const subnet = struct(f('subnet', 'Subnet', 'string'), f('gateway', 'Gateway', 'string'))

const docker = struct(
  f(
    'network',
    'network',
    struct(
      f('interface', 'interface', 'string'),
      f('dns', 'Dns', strings),
      f('name', 'Name', 'string'),
      f('ispn', 'ISPN', 'bool'),
      f('driver', 'Driver', 'string'),
      f('network_mode', 'Mode', 'string'),
      f('is_internal', 'IsInternal', 'bool'),
      f('enable_icc', 'EnableICC', 'bool'),
      f('network_mtu', 'NetworkMTU', 'int'),
      f('interfaces', 'Interfaces', struct(f('v4', 'V4', subnet), f('v6', 'V6', subnet))),
    ),
  ),
  f('domainname', 'domainname', 'string'),
  f('registries', 'registries', {
    key: 'string',
    map: struct(f('username', 'Username', 'string'), f('password', 'Password', 'string')),
  }),
  f('tmpfs_size', 'tmpfs_size', 'uint'),
  f('container_pid_limit', 'container_pid_limit', 'int'),
  f(
    'installer_limits',
    'installer_limits',
    struct(f('memory', 'memory', 'int'), f('cpu', 'cpu', 'int')),
  ),
  f(
    'overhead',
    'overhead',
    struct(
      f('override', 'override', 'bool'),
      f('default_multiplier', 'default_multiplier', 'float'),
      f('multipliers', 'multipliers', { key: 'int', map: 'float' }),
    ),
  ),
  f('use_performant_inspect', 'use_performant_inspect', 'bool'),
  f('userns_mode', 'userns_mode', 'string'),
  f(
    'log_config',
    'log_config',
    struct(f('type', 'type', 'string'), f('config', 'config', { key: 'string', map: 'string' })),
  ),
)

/** The whole `Configuration` struct. */
export const WINGS_CONFIGURATION: GoStruct = struct(
  f('debug', 'Debug', 'bool'),
  f('app_name', 'app_name', 'string'),
  f('uuid', 'Uuid', 'string'),
  f('token_id', 'token_id', 'string'),
  f('token', 'token', 'string'),
  f('api', 'api', api),
  f('system', 'system', system),
  f('docker', 'docker', docker),
  f(
    'throttles',
    'Throttles',
    struct(
      f('enabled', 'enabled', 'bool'),
      f('lines', 'lines', 'uint'),
      f('line_reset_interval', 'line_reset_interval', 'uint'),
    ),
  ),
  f('remote', 'remote', 'string'),
  f(
    'remote_query',
    'remote_query',
    struct(f('timeout', 'Timeout', 'int'), f('boot_servers_per_page', 'BootServersPerPage', 'int')),
  ),
  f('allowed_mounts', null, strings),
  f('allowed_origins', 'allowed_origins', strings),
  f('allow_cors_private_network', 'allow_cors_private_network', 'bool'),
  f('ignore_panel_config_updates', 'ignore_panel_config_updates', 'bool'),
)
