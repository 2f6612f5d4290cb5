/**
 * The simulator's database rows, fully defaulted. Field names follow the Panel's columns in
 * camelCase (`daemonTokenId` is `nodes.daemon_token_id`); the README maps each one.
 */

export type ServerStatus =
  null | 'installing' | 'install_failed' | 'reinstall_failed' | 'suspended' | 'restoring_backup'

export const SERVER_STATUSES: readonly Exclude<ServerStatus, null>[] = [
  'installing',
  'install_failed',
  'reinstall_failed',
  'suspended',
  'restoring_backup',
]

export interface NodeRecord {
  id: number
  uuid: string
  name: string
  /** Location short code, the server's `P_SERVER_LOCATION`. */
  location: string
  scheme: 'http' | 'https'
  fqdn: string
  behindProxy: boolean
  daemonListen: number
  daemonSftp: number
  daemonBase: string
  /** MiB, 1..1024. */
  uploadSize: number
  maintenanceMode: boolean
  daemonTokenId: string
  daemonToken: string
  /** Sources of the mounts attached to this node (`allowed_mounts`). */
  mounts: string[]
}

export interface UserRecord {
  id: number
  uuid: string
  username: string
  email: string
  /** Plain text: the simulator compares it in constant time instead of bcrypt (README, Not here). */
  password: string
  rootAdmin: boolean
  /** SHA-256 fingerprints (`SHA256:<base64 without padding>`) of the user's SSH keys. */
  sshKeyFingerprints: string[]
}

interface EggVariableRecord {
  envVariable: string
  defaultValue: string | null
}

export interface EggRecord {
  id: number
  uuid: string
  name: string
  /** The egg's default startup command (a new server's `startup` when none is given). */
  startup: string
  dockerImage: string
  /** Egg whose config fields this one inherits when its own are null ("copy settings from"). */
  configFrom: number | null
  /** JSON text, as stored; null = inherited (or a broken egg). */
  configStartup: string | null
  configStop: string | null
  configFiles: string | null
  configLogs: string | null
  fileDenylist: string[] | null
  forceOutgoingIp: boolean
  /** Egg whose install script this one uses ("copy script from"). */
  copyScriptFrom: number | null
  scriptContainer: string
  scriptEntry: string
  /** May hold CRLF line endings, as imported eggs do. */
  scriptInstall: string | null
  variables: EggVariableRecord[]
}

export interface AllocationRecord {
  id: number
  nodeId: number
  ip: string
  port: number
  serverId: number | null
}

interface MountRecord {
  source: string
  target: string
  readOnly: boolean
}

interface SubuserRecord {
  userId: number
  permissions: string[]
}

export interface ServerRecord {
  id: number
  uuid: string
  uuidShort: string
  name: string
  description: string
  nodeId: number
  ownerId: number
  eggId: number
  status: ServerStatus
  skipScripts: boolean
  startup: string
  image: string
  memory: number
  swap: number
  io: number
  cpu: number
  threads: string | null
  disk: number
  oomDisabled: boolean
  allocationLimit: number | null
  backupLimit: number
  /** The primary allocation. */
  allocationId: number
  /** Stored variable values by env name; missing means "use the egg default". */
  variables: Record<string, string | null>
  mounts: MountRecord[]
  subusers: SubuserRecord[]
  installedAt: string | null
}

export interface BackupRecord {
  uuid: string
  serverId: number
  name: string
  disk: 'wings' | 's3'
  isSuccessful: boolean
  isLocked: boolean
  /** `<type>:<hex>` once reported. */
  checksum: string | null
  bytes: number
  uploadId: string | null
  completedAt: string | null
  ignoredFiles: string[]
  deletedAt: string | null
}

export interface TransferRecord {
  id: number
  serverId: number
  oldNode: number
  newNode: number
  oldAllocation: number
  newAllocation: number
  oldAdditionalAllocations: number[]
  newAdditionalAllocations: number[]
  /** null while the transfer runs. */
  successful: boolean | null
  createdAt: string
}

export interface ActivityRecord {
  /** `daemon` for entries posted to /api/remote/activity, `panel` for the Panel's own log. */
  source: 'daemon' | 'panel'
  event: string
  serverUuid: string | null
  userUuid: string | null
  ip: string
  timestamp: string
  properties: Record<string, unknown>
}

export interface ApiKeyRecord {
  token: string
  /** The key's `r_nodes` permission; `wings configure` needs it. */
  nodesRead: boolean
}
