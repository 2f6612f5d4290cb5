import type { ServerStatus } from './records.js'

/**
 * The simulator's starting state: a small Panel database in JSON. Every field is optional and
 * defaulted; the README documents each one and the Panel column it stands for.
 */
export interface Fixture {
  /** The Panel's `APP_URL`: `iss` of every token and `remote` of the node config. Default: the simulator's own URL. */
  readonly appUrl?: string
  /** `APP_BACKUP_DRIVER`: which adapter new backups use and whether R10/R11 talk to S3. */
  readonly backupDriver?: 'wings' | 's3'
  readonly nodes?: readonly NodeFixture[]
  readonly users?: readonly UserFixture[]
  readonly eggs?: readonly EggFixture[]
  readonly servers?: readonly ServerFixture[]
  /** Application API keys (for `wings configure`). */
  readonly apiKeys?: readonly ApiKeyFixture[]
}

export interface NodeFixture {
  readonly id?: number
  readonly uuid?: string
  readonly name?: string
  readonly location?: string
  /** Shorthand for scheme, fqdn and daemonListen: the node's connection address. */
  readonly daemonUrl?: string
  readonly scheme?: 'http' | 'https'
  readonly fqdn?: string
  readonly behindProxy?: boolean
  readonly daemonListen?: number
  readonly daemonSftp?: number
  readonly daemonBase?: string
  readonly uploadSize?: number
  readonly maintenanceMode?: boolean
  /** `daemon_token_id` (16 characters in the Panel; any non-empty string without `.` here). */
  readonly tokenId?: string
  /** `daemon_token` (64 characters in the Panel). */
  readonly token?: string
  readonly mounts?: readonly string[]
}

export interface UserFixture {
  readonly id?: number
  readonly uuid?: string
  readonly username: string
  readonly email?: string
  readonly password?: string
  readonly rootAdmin?: boolean
  /** Public keys in authorized_keys form (`ssh-ed25519 AAAA… comment`). */
  readonly sshKeys?: readonly string[]
}

export interface EggVariableFixture {
  readonly envVariable: string
  readonly defaultValue?: string | null
}

/** JSON stored as text by the Panel; the decoded value is accepted too. */
export type JsonText = string | Record<string, unknown> | unknown[] | null

export interface EggFixture {
  readonly id?: number
  readonly uuid?: string
  readonly name?: string
  readonly startup?: string
  readonly dockerImage?: string
  readonly configFrom?: number | null
  readonly configStartup?: JsonText
  /** `stop` command, or `^X` for a signal. */
  readonly configStop?: string | null
  readonly configFiles?: JsonText
  readonly configLogs?: JsonText
  readonly fileDenylist?: readonly string[] | null
  readonly forceOutgoingIp?: boolean
  readonly copyScriptFrom?: number | null
  readonly scriptContainer?: string
  readonly scriptEntry?: string
  readonly scriptInstall?: string | null
  readonly variables?: readonly EggVariableFixture[]
}

export interface AllocationFixture {
  readonly ip: string
  readonly port: number
}

export interface MountFixture {
  readonly source: string
  readonly target: string
  readonly readOnly?: boolean
}

export interface SubuserFixture {
  /** User id. */
  readonly user: number
  readonly permissions: readonly string[]
}

export interface BackupFixture {
  readonly uuid?: string
  readonly name?: string
  readonly disk?: 'wings' | 's3'
  readonly isSuccessful?: boolean
  readonly isLocked?: boolean
  readonly checksum?: string | null
  readonly bytes?: number
  readonly uploadId?: string | null
  readonly completedAt?: string | null
  readonly ignoredFiles?: readonly string[]
}

export interface ServerFixture {
  readonly id?: number
  readonly uuid?: string
  readonly name?: string
  readonly description?: string
  /** Node id; default the first node. */
  readonly node?: number
  /** Owner's user id; default the first user. */
  readonly owner?: number
  /** Egg id or uuid; default the first egg. */
  readonly egg?: number | string
  readonly status?: ServerStatus
  /** Shorthand for `status: "suspended"`. */
  readonly suspended?: boolean
  readonly skipScripts?: boolean
  /** Default: the egg's startup. */
  readonly startup?: string
  /** Default: the egg's docker image. */
  readonly image?: string
  readonly memory?: number
  readonly swap?: number
  readonly io?: number
  readonly cpu?: number
  readonly threads?: string | null
  readonly disk?: number
  readonly oomDisabled?: boolean
  readonly allocationLimit?: number | null
  readonly backupLimit?: number
  /** The first one is the primary allocation. Default: one free port on 127.0.0.1. */
  readonly allocations?: readonly AllocationFixture[]
  /** Values of egg variables, by env name. */
  readonly environment?: Readonly<Record<string, string | null>>
  readonly mounts?: readonly MountFixture[]
  readonly subusers?: readonly SubuserFixture[]
  readonly backups?: readonly BackupFixture[]
  readonly installedAt?: string | null
}

export interface ApiKeyFixture {
  readonly token: string
  readonly nodesRead?: boolean
}

/** Fields an update may change (admin API `PATCH`, `sim.updateServer`). */
export type ServerPatch = Omit<ServerFixture, 'id' | 'uuid' | 'backups'>
