import type { BackupObjectStore, UploadedPart } from './backup-object-store.js'
import { constantTimeEquals } from './daemon-auth.js'
import { PanelError, PanelErrors } from './panel-error.js'
import type { PanelState } from './panel-state.js'
import { paginate } from './pagination.js'
import { phpInt, phpValidInt } from './php-json.js'
import type { ActivityRecord, NodeRecord, ServerRecord, UserRecord } from './records.js'
import { NO_CONTENT, type Route, type SimRequest, type SimResponse } from './route.js'
import { installScript, serverConfiguration } from './server-configuration.js'
import type { LoginThrottle } from './sftp-throttle.js'
import { sshKeyFingerprint } from './ssh-key.js'
import { inputBoolean, validate } from './validator.js'

/** What the remote API needs from the simulator around it. */
export interface RemoteApiContext {
  readonly state: PanelState
  readonly objectStore: BackupObjectStore
  /** `BACKUP_MAX_PART_SIZE` in bytes. */
  readonly partSize: number
  readonly sftpThrottle: LoginThrottle
  /** The Panel's `DELETE /api/servers/{uuid}` to a node after a transfer; failures are only logged. */
  deleteServerOnNode(node: NodeRecord, serverUuid: string): Promise<void>
  log(message: string, fields?: Record<string, unknown>): void
}

const SEGMENT = '(?<%s>[^/]+)'
const p = (path: string) =>
  new RegExp(`^${path.replace(/\{(\w+)\}/g, (_, name: string) => SEGMENT.replace('%s', name))}$`)

/** The routes of `/api/remote` (panel-contract.md C.1). */
export function remoteApiRoutes(ctx: RemoteApiContext): Route[] {
  const route = (
    methods: string[],
    path: string,
    handle: (r: SimRequest) => SimResponse | Promise<SimResponse>,
  ): Route => ({
    methods,
    pattern: p(`/api/remote${path}`),
    auth: 'daemon',
    recorded: true,
    handle,
  })
  return [
    route(['GET'], '/servers', (r) => listServers(ctx, r)),
    route(['POST'], '/servers/reset', (r) => resetServers(ctx, r)),
    route(['GET'], '/servers/{uuid}', (r) => ({
      status: 200,
      json: serverConfiguration(ctx.state, server(ctx, r)),
    })),
    route(['GET'], '/servers/{uuid}/install', (r) => ({
      status: 200,
      json: installScript(ctx.state, ctx.state.egg(server(ctx, r).eggId)),
    })),
    route(['POST'], '/servers/{uuid}/install', (r) => installStatus(ctx, r)),
    route(['GET', 'POST'], '/servers/{uuid}/transfer/success', (r) => transferSuccess(ctx, r)),
    route(['GET', 'POST'], '/servers/{uuid}/transfer/failure', (r) => transferFailure(ctx, r)),
    route(['POST'], '/sftp/auth', (r) => sftpAuth(ctx, r)),
    route(['POST'], '/activity', (r) => activity(ctx, r)),
    route(['GET'], '/backups/{backup}', (r) => backupPartUrls(ctx, r)),
    route(['POST'], '/backups/{backup}', (r) => backupStatus(ctx, r)),
    route(['POST'], '/backups/{backup}/restore', (r) => restoreStatus(ctx, r)),
  ]
}

function server(ctx: RemoteApiContext, r: SimRequest): ServerRecord {
  const found = ctx.state.findServer(r.params['uuid'] ?? '')
  if (!found) throw PanelErrors.serverNotFound()
  return found
}

function callingNode(r: SimRequest): NodeRecord {
  if (!r.node) throw new Error('daemon route reached without an authenticated node')
  return r.node
}

/** R1. */
function listServers(ctx: RemoteApiContext, r: SimRequest): SimResponse {
  const node = callingNode(r)
  let perPage = phpInt(r.query['per_page'] ?? 50)
  if (perPage === 0) perPage = 15
  // A negative LIMIT is an SQL error in the Panel.
  if (perPage < 0) throw PanelErrors.unexpected('QueryException')
  const requested = phpValidInt(r.query['page'])
  const page = requested !== null && requested >= 1 ? requested : 1
  const servers = ctx.state.servers.filter((s) => s.nodeId === node.id)
  const envelope = paginate(servers, page, perPage, r.url)
  return {
    status: 200,
    json: {
      ...envelope,
      data: envelope.data.map((s) => ({ uuid: s.uuid, ...serverConfiguration(ctx.state, s) })),
    },
  }
}

/** R2. */
function resetServers(ctx: RemoteApiContext, r: SimRequest): SimResponse {
  const node = callingNode(r)
  for (const s of ctx.state.servers) {
    if (s.nodeId !== node.id) continue
    if (s.status === 'restoring_backup') panelActivity(ctx, 'server:backup.restore-failed', s)
    if (s.status === 'installing' || s.status === 'restoring_backup') s.status = null
  }
  return NO_CONTENT
}

/** R5. */
function installStatus(ctx: RemoteApiContext, r: SimRequest): SimResponse {
  validate(r.input, { successful: ['present', 'boolean'], reinstall: ['sometimes', 'boolean'] })
  const s = server(ctx, r)
  let status: ServerRecord['status'] = null
  if (!inputBoolean(r.input['successful'])) {
    status = inputBoolean(r.input['reinstall']) ? 'reinstall_failed' : 'install_failed'
  }
  if (s.status === 'suspended') status = 'suspended'
  s.status = status
  s.installedAt = new Date().toISOString()
  return NO_CONTENT
}

/** R6. */
async function transferSuccess(ctx: RemoteApiContext, r: SimRequest): Promise<SimResponse> {
  const s = server(ctx, r)
  const transfer = ctx.state.activeTransfer(s)
  if (!transfer) throw PanelErrors.notTransferring()
  for (const id of [transfer.oldAllocation, ...transfer.oldAdditionalAllocations]) {
    ctx.state.allocation(id).serverId = null
  }
  s.allocationId = transfer.newAllocation
  s.nodeId = transfer.newNode
  transfer.successful = true
  await ctx.deleteServerOnNode(ctx.state.node(transfer.oldNode), s.uuid)
  return NO_CONTENT
}

/** R7. */
function transferFailure(ctx: RemoteApiContext, r: SimRequest): SimResponse {
  const s = server(ctx, r)
  const transfer = ctx.state.activeTransfer(s)
  if (!transfer) throw PanelErrors.notTransferring()
  transfer.successful = false
  for (const id of [transfer.newAllocation, ...transfer.newAdditionalAllocations]) {
    ctx.state.allocation(id).serverId = null
  }
  return NO_CONTENT
}

/** R8 (panel-contract.md C.6), step by step in the Panel's order. */
function sftpAuth(ctx: RemoteApiContext, r: SimRequest): SimResponse {
  validate(r.input, {
    type: ['nullable', 'in:password,public_key'],
    username: ['required', 'string'],
    password: ['required', 'string'],
  })
  const node = callingNode(r)
  const username = r.input['username'] as string
  const dot = username.lastIndexOf('.')
  const panelUsername = dot === -1 ? '' : username.slice(0, dot)
  const identifier = dot === -1 ? username : username.slice(dot + 1)
  if (identifier === '') {
    throw new PanelError(
      400,
      'BadRequestHttpException',
      'No valid server identifier was included in the request.',
    )
  }
  const key = `${identifier.toLowerCase()}|${r.ip}`
  if (ctx.sftpThrottle.tooManyAttempts(key)) {
    const seconds = ctx.sftpThrottle.availableIn(key)
    throw new PanelError(
      429,
      'TooManyRequestsHttpException',
      `Too many login attempts for this account, please try again in ${seconds} seconds.`,
      { headers: { 'Retry-After': String(seconds) } },
    )
  }
  const reject = (count = true): never => {
    if (count) ctx.sftpThrottle.hit(key)
    throw PanelErrors.sftpBadCredentials()
  }
  const user = ctx.state.users.find((u) => u.username === panelUsername) ?? reject()
  const id = identifier.toLowerCase()
  const s =
    ctx.state.servers.find((x) => x.nodeId === node.id && (x.uuid === id || x.uuidShort === id)) ??
    reject()
  const secret = r.input['password'] as string
  if (r.input['type'] !== 'public_key') {
    if (!constantTimeEquals(secret, user.password)) {
      panelActivity(ctx, 'auth:sftp.fail', null, user, { method: 'password' })
      reject()
    }
  } else {
    const fingerprint = sshKeyFingerprint(secret.trim())
    if (fingerprint === null || !user.sshKeyFingerprints.includes(fingerprint))
      reject(fingerprint === null)
  }
  const permissions = userPermissions(s, user)
  if (!user.rootAdmin && s.ownerId !== user.id && !permissions.includes('file.sftp')) {
    panelActivity(ctx, 'server:sftp.denied', s, user)
    throw new PanelError(
      403,
      'HttpForbiddenException',
      'You do not have permission to access SFTP for this server.',
    )
  }
  const conflict = stateConflict(ctx.state, s)
  if (conflict !== null) throw new PanelError(409, 'ServerStateConflictException', conflict)
  return { status: 200, json: { user: user.uuid, server: s.uuid, permissions } }
}

/** GetUserPermissionsService: owners `*`, root admins `*` plus the admin websocket permissions. */
export function userPermissions(s: ServerRecord, user: UserRecord): string[] {
  if (user.rootAdmin || user.id === s.ownerId) {
    return user.rootAdmin
      ? ['*', 'admin.websocket.errors', 'admin.websocket.install', 'admin.websocket.transfer']
      : ['*']
  }
  return [...(s.subusers.find((su) => su.userId === user.id)?.permissions ?? [])]
}

/** Server::validateCurrentState: the 409 text, or null when the server is usable. */
function stateConflict(state: PanelState, s: ServerRecord): string | null {
  if (s.status === 'suspended')
    return 'This server is currently suspended and the functionality requested is unavailable.'
  if (state.node(s.nodeId).maintenanceMode) {
    return 'The node of this server is currently under maintenance and the functionality requested is unavailable.'
  }
  if (s.status === 'installing' || s.status === 'install_failed') {
    return 'This server has not yet completed its installation process, please try again later.'
  }
  if (s.status === 'restoring_backup')
    return 'This server is currently restoring from a backup, please try again later.'
  if (state.activeTransfer(s))
    return 'This server is currently being transferred to a new machine, please try again later.'
  return null
}

/** R9. */
function activity(ctx: RemoteApiContext, r: SimRequest): SimResponse {
  validate(r.input, {
    data: ['required', 'array'],
    'data.*': ['array'],
    'data.*.user': ['sometimes', 'nullable', 'uuid'],
    'data.*.server': ['required', 'uuid'],
    'data.*.event': ['required', 'string'],
    'data.*.metadata': ['present', 'nullable', 'array'],
    'data.*.ip': ['sometimes', 'nullable', 'ip'],
    'data.*.timestamp': ['required', 'string'],
  })
  const node = callingNode(r)
  const data = r.input['data'] as
    Record<string, unknown>[] | Record<string, Record<string, unknown>>
  for (const datum of Object.values(data)) {
    const s = ctx.state.servers.find((x) => x.nodeId === node.id && x.uuid === datum['server'])
    const event = datum['event'] as string
    if (!s || !event.startsWith('server:')) continue
    const metadata = (datum['metadata'] ?? {}) as Record<string, unknown>
    const raw = datum['timestamp'] as string
    let timestamp = parseRfc3339(raw.replace(/(\.\d+)Z$/, 'Z'))
    const properties: Record<string, unknown> = Array.isArray(metadata)
      ? { ...metadata }
      : { ...metadata }
    if (timestamp === null) {
      timestamp = new Date().toISOString()
      properties['original_timestamp'] = raw
    }
    const user = ctx.state.users.find((u) => u.uuid === datum['user'])
    ctx.state.activity.push({
      source: 'daemon',
      event,
      serverUuid: s.uuid,
      userUuid: user?.uuid ?? null,
      ip: typeof datum['ip'] === 'string' && datum['ip'] !== '' ? datum['ip'] : '127.0.0.1',
      timestamp,
      properties,
    })
  }
  return { status: 200, text: '', headers: { 'Content-Type': 'text/html; charset=UTF-8' } }
}

/** Carbon's `createFromFormat(RFC3339)`: `Y-m-d\TH:i:sP`, no fraction. */
function parseRfc3339(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/.test(value)) return null
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

function backupKey(s: ServerRecord, backupUuid: string): string {
  return `${s.uuid}/${backupUuid}.tar.gz`
}

/** R10. */
async function backupPartUrls(ctx: RemoteApiContext, r: SimRequest): Promise<SimResponse> {
  const node = callingNode(r)
  const size = phpInt(r.query['size'])
  if (size === 0) {
    throw new PanelError(
      400,
      'BadRequestHttpException',
      'A non-empty "size" query parameter must be provided.',
    )
  }
  const backup = ctx.state.findBackup(r.params['backup'] ?? '') ?? notFound()
  const s = ctx.state.serverById(backup.serverId) ?? notFound()
  // The Panel throws an exception class it never imported here: a 500, not the intended 403.
  if (s.nodeId !== node.id) throw PanelErrors.unexpected('Error')
  if (backup.completedAt !== null) {
    throw new PanelError(
      409,
      'ConflictHttpException',
      'This backup is already in a completed state.',
    )
  }
  if (ctx.state.backupDriver !== 's3') {
    throw new PanelError(
      400,
      'BadRequestHttpException',
      'The configured backup adapter is not an S3 compatible adapter.',
    )
  }
  const key = backupKey(s, backup.uuid)
  const uploadId = await s3Call(ctx, () => ctx.objectStore.createMultipartUpload(key))
  backup.uploadId = uploadId
  const count = Math.max(0, Math.ceil(size / ctx.partSize))
  const parts = await ctx.objectStore.partUrls(key, uploadId, count)
  return { status: 200, json: { parts, part_size: ctx.partSize } }
}

/** R11. */
async function backupStatus(ctx: RemoteApiContext, r: SimRequest): Promise<SimResponse> {
  validate(r.input, {
    successful: ['required', 'boolean'],
    checksum: ['nullable', 'string', 'required_if:successful,true'],
    checksum_type: ['nullable', 'string', 'required_if:successful,true'],
    size: ['nullable', 'numeric', 'required_if:successful,true'],
    parts: ['nullable', 'array'],
    'parts.*.etag': ['required', 'string'],
    'parts.*.part_number': ['required', 'numeric'],
  })
  const node = callingNode(r)
  const backup = ctx.state.findBackup(r.params['backup'] ?? '') ?? notFound()
  const s = ctx.state.serverById(backup.serverId) ?? notFound()
  if (s.nodeId !== node.id) {
    throw new PanelError(
      403,
      'HttpForbiddenException',
      'You do not have permission to access that backup.',
    )
  }
  if (backup.isSuccessful) {
    throw new PanelError(
      400,
      'BadRequestHttpException',
      'Cannot update the status of a backup that is already marked as completed.',
    )
  }
  const successful = inputBoolean(r.input['successful'])
  if (ctx.state.backupDriver === 's3') {
    const key = backupKey(s, backup.uuid)
    if (!successful) {
      if (backup.uploadId !== null) {
        const uploadId = backup.uploadId
        await s3Call(ctx, () => ctx.objectStore.abortMultipartUpload(key, uploadId))
      }
    } else {
      if (backup.uploadId === null) {
        throw new PanelError(
          400,
          'DisplayException',
          'Cannot complete backup request: no upload_id present on model.',
        )
      }
      const uploadId = backup.uploadId
      const rawParts = r.input['parts']
      const parts: UploadedPart[] | null =
        rawParts === null || rawParts === undefined
          ? null
          : Object.values(rawParts as Record<string, { etag: string; part_number: unknown }>).map(
              (part) => ({
                etag: part.etag,
                partNumber: Number(part.part_number),
              }),
            )
      await s3Call(ctx, () => ctx.objectStore.completeMultipartUpload(key, uploadId, parts))
    }
  }
  backup.isSuccessful = successful
  if (!successful) backup.isLocked = false
  backup.checksum = successful
    ? `${String(r.input['checksum_type'])}:${String(r.input['checksum'])}`
    : null
  backup.bytes = successful ? Number(r.input['size']) : 0
  backup.completedAt = new Date().toISOString()
  panelActivity(ctx, successful ? 'server:backup.complete' : 'server:backup.fail', s, undefined, {
    name: backup.name,
  })
  return NO_CONTENT
}

/** R12. */
function restoreStatus(ctx: RemoteApiContext, r: SimRequest): SimResponse {
  const backup = ctx.state.findBackup(r.params['backup'] ?? '') ?? notFound()
  const s = ctx.state.serverById(backup.serverId) ?? notFound()
  s.status = null
  // The failure event name is misspelt in the Panel, kept as it logs it.
  panelActivity(
    ctx,
    inputBoolean(r.input['successful'])
      ? 'server:backup.restore-complete'
      : 'server.backup.restore-failed',
    s,
    undefined,
    { name: backup.name },
  )
  return NO_CONTENT
}

function notFound(): never {
  throw PanelErrors.resourceNotFound()
}

async function s3Call<T>(ctx: RemoteApiContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    ctx.log('S3 call failed', { error: err instanceof Error ? err.message : String(err) })
    throw PanelErrors.unexpected('S3Exception')
  }
}

function panelActivity(
  ctx: RemoteApiContext,
  event: string,
  s: ServerRecord | null,
  user?: UserRecord,
  properties: Record<string, unknown> = {},
): void {
  const entry: ActivityRecord = {
    source: 'panel',
    event,
    serverUuid: s?.uuid ?? null,
    userUuid: user?.uuid ?? null,
    ip: '127.0.0.1',
    timestamp: new Date().toISOString(),
    properties,
  }
  ctx.state.activity.push(entry)
}
