import type { ConfigValueResolver } from '@node/config-files'
import type { PowerSettings } from '@node/power'

/**
 * The node-wide settings the use cases read each time they need one, through a function, so that
 * a configuration the Panel pushes (`POST /api/update`) applies at once. The daemon derives them
 * from config.yml; nothing here knows its keys.
 */
export interface ServersSettings {
  /** The time zone every runtime and install script gets as `TZ`. */
  readonly timezone: string
  /** Who owns the servers' files; a uid of 0 leaves them to the daemon's own user. */
  readonly user: { readonly uid: number; readonly gid: number }
  /** Whether a start first hands every file of the server to `user` (read when a server joins). */
  readonly fixPermissionsOnStart: boolean
  /** How often a jail may walk its server's files to measure their size, in ms. */
  readonly diskCheckIntervalMs: number
  /** Servers fetched per page when the node loads its servers from the Panel. */
  readonly bootServersPerPage: number
  /** Console notices, crash detection and the console throttle of every runtime. */
  readonly power: PowerSettings
  /** Values for the `{{config.*}}` placeholders of the egg's configuration files. */
  readonly configValues: ConfigValueResolver
}
