import { randomInt, randomUUID } from 'node:crypto'

import { FieldReader, FixtureError, isObject } from './field-reader.js'
import { randomAlnum, UUID_PATTERN } from './random.js'
import {
  SERVER_STATUSES,
  type ActivityRecord,
  type AllocationRecord,
  type ApiKeyRecord,
  type BackupRecord,
  type EggRecord,
  type NodeRecord,
  type ServerRecord,
  type ServerStatus,
  type TransferRecord,
  type UserRecord,
} from './records.js'
import { sshKeyFingerprint } from './ssh-key.js'

const NODE_FIELDS = [
  'id',
  'uuid',
  'name',
  'location',
  'daemonUrl',
  'scheme',
  'fqdn',
  'behindProxy',
  'daemonListen',
  'daemonSftp',
  'daemonBase',
  'uploadSize',
  'maintenanceMode',
  'tokenId',
  'token',
  'mounts',
]
const USER_FIELDS = ['id', 'uuid', 'username', 'email', 'password', 'rootAdmin', 'sshKeys']
const EGG_FIELDS = [
  'id',
  'uuid',
  'name',
  'startup',
  'dockerImage',
  'configFrom',
  'configStartup',
  'configStop',
  'configFiles',
  'configLogs',
  'fileDenylist',
  'forceOutgoingIp',
  'copyScriptFrom',
  'scriptContainer',
  'scriptEntry',
  'scriptInstall',
  'variables',
]
const SERVER_PATCH_FIELDS = [
  'name',
  'description',
  'node',
  'owner',
  'egg',
  'status',
  'suspended',
  'skipScripts',
  'startup',
  'image',
  'memory',
  'swap',
  'io',
  'cpu',
  'threads',
  'disk',
  'oomDisabled',
  'allocationLimit',
  'backupLimit',
  'allocations',
  'environment',
  'mounts',
  'subusers',
  'installedAt',
]
const SERVER_FIELDS = ['id', 'uuid', 'backups', ...SERVER_PATCH_FIELDS]
const BACKUP_FIELDS = [
  'uuid',
  'name',
  'disk',
  'isSuccessful',
  'isLocked',
  'checksum',
  'bytes',
  'uploadId',
  'completedAt',
  'ignoredFiles',
]

const DEFAULT_EGG_STARTUP = 'echo "{{SERVER_MESSAGE}}"; while read -r line; do echo "$line"; done'

/**
 * The simulator's in-memory Panel database and the rules that keep it consistent (ids, foreign
 * keys, allocations). Not safe to share between simulators.
 */
export class PanelState {
  appUrl = ''
  backupDriver: 'wings' | 's3' = 'wings'
  readonly nodes: NodeRecord[] = []
  readonly users: UserRecord[] = []
  readonly eggs: EggRecord[] = []
  readonly servers: ServerRecord[] = []
  readonly allocations: AllocationRecord[] = []
  readonly backups: BackupRecord[] = []
  readonly transfers: TransferRecord[] = []
  readonly activity: ActivityRecord[] = []
  readonly apiKeys: ApiKeyRecord[] = []
  #nextPort = 20_000 + randomInt(0, 200) * 100

  /** Loads a fixture; missing nodes, users and eggs get one default each. */
  load(fixture: unknown): void {
    const r = new FieldReader(fixture, 'fixture')
    r.only(['appUrl', 'backupDriver', 'nodes', 'users', 'eggs', 'servers', 'apiKeys'])
    if (r.has('appUrl')) this.appUrl = checkUrl(r.string('appUrl', ''), r.path('appUrl'))
    this.backupDriver = r.oneOf('backupDriver', ['wings', 's3'], 'wings')
    r.array('nodes').forEach((n, i) => this.addNode(n, `fixture.nodes[${i}]`))
    if (this.nodes.length === 0) this.addNode({})
    r.array('users').forEach((u, i) => this.addUser(u, `fixture.users[${i}]`))
    if (this.users.length === 0) {
      this.addUser({ username: 'admin', password: 'password', rootAdmin: true })
    }
    r.array('eggs').forEach((e, i) => this.addEgg(e, `fixture.eggs[${i}]`))
    if (this.eggs.length === 0) this.addEgg({})
    for (const egg of this.eggs) this.#checkEggLinks(egg, 'fixture.eggs')
    r.array('servers').forEach((s, i) => this.addServer(s, `fixture.servers[${i}]`))
    r.array('apiKeys').forEach((k, i) => {
      const key = new FieldReader(k, `fixture.apiKeys[${i}]`)
      key.only(['token', 'nodesRead'])
      const token = key.string('token', '')
      if (token === '') throw new FixtureError(`${key.path('token')} must be a non-empty string`)
      this.apiKeys.push({ token, nodesRead: key.bool('nodesRead', true) })
    })
  }

  addNode(input: unknown, path = 'node'): NodeRecord {
    const r = new FieldReader(input, path)
    r.only(NODE_FIELDS)
    const id = this.#newId(r, this.nodes)
    let scheme = r.oneOf('scheme', ['http', 'https'], 'http')
    let fqdn = r.string('fqdn', '127.0.0.1')
    let daemonListen = r.int('daemonListen', 8080, 1, 65535)
    if (r.has('daemonUrl')) {
      const url = new URL(checkUrl(r.string('daemonUrl', ''), r.path('daemonUrl')))
      scheme = url.protocol === 'https:' ? 'https' : 'http'
      fqdn = url.hostname.replace(/^\[(.*)\]$/, '$1')
      daemonListen = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port)
    }
    const tokenId = r.string('tokenId', randomAlnum(16))
    if (tokenId === '' || tokenId.includes('.')) {
      throw new FixtureError(`${r.path('tokenId')} must be non-empty and contain no "."`)
    }
    const token = r.string('token', randomAlnum(64))
    if (token === '') throw new FixtureError(`${r.path('token')} must be non-empty`)
    if (this.nodes.some((n) => n.daemonTokenId === tokenId)) {
      throw new FixtureError(`${r.path('tokenId')} is already used by another node`)
    }
    const node: NodeRecord = {
      id,
      uuid: uuidField(r, 'uuid'),
      name: r.string('name', `node${id}`),
      location: r.string('location', 'local'),
      scheme,
      fqdn,
      behindProxy: r.bool('behindProxy', false),
      daemonListen,
      daemonSftp: r.int('daemonSftp', 2022, 1, 65535),
      daemonBase: r.string('daemonBase', '/var/lib/pterodactyl/volumes'),
      uploadSize: r.int('uploadSize', 100, 1, 1024),
      maintenanceMode: r.bool('maintenanceMode', false),
      daemonTokenId: tokenId,
      daemonToken: token,
      mounts: r.stringArray('mounts', []),
    }
    this.nodes.push(node)
    return node
  }

  addUser(input: unknown, path = 'user'): UserRecord {
    const r = new FieldReader(input, path)
    r.only(USER_FIELDS)
    const id = this.#newId(r, this.users)
    const username = r.string('username', '')
    if (username === '') throw new FixtureError(`${r.path('username')} is required`)
    if (this.users.some((u) => u.username === username)) {
      throw new FixtureError(`${r.path('username')} "${username}" is already taken`)
    }
    const sshKeyFingerprints = r.stringArray('sshKeys', []).map((key, i) => {
      const fingerprint = sshKeyFingerprint(key)
      if (fingerprint === null) {
        throw new FixtureError(
          `${r.path('sshKeys')}[${i}] is not a public key in authorized_keys form`,
        )
      }
      return fingerprint
    })
    const user: UserRecord = {
      id,
      uuid: uuidField(r, 'uuid'),
      username,
      email: r.string('email', `${username}@example.com`),
      password: r.string('password', 'password'),
      rootAdmin: r.bool('rootAdmin', false),
      sshKeyFingerprints,
    }
    this.users.push(user)
    return user
  }

  addEgg(input: unknown, path = 'egg'): EggRecord {
    const r = new FieldReader(input, path)
    r.only(EGG_FIELDS)
    const id = this.#newId(r, this.eggs)
    const configFrom = r.nullableInt('configFrom', null, 1)
    const copyScriptFrom = r.nullableInt('copyScriptFrom', null, 1)
    // A child egg inherits what it leaves unset; a stand-alone egg gets working defaults.
    const inherits = configFrom !== null
    const variables = r.array('variables').map((v, i) => {
      const vr = new FieldReader(v, `${r.path('variables')}[${i}]`)
      vr.only(['envVariable', 'defaultValue'])
      const envVariable = vr.string('envVariable', '')
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(envVariable)) {
        throw new FixtureError(`${vr.path('envVariable')} must be a variable name`)
      }
      return { envVariable, defaultValue: vr.nullableString('defaultValue', '') }
    })
    if (!r.has('variables') && !inherits && !r.has('startup')) {
      variables.push({ envVariable: 'SERVER_MESSAGE', defaultValue: 'Server started' })
    }
    const fileDenylist = r.raw('fileDenylist') === null ? null : r.stringArray('fileDenylist', [])
    const egg: EggRecord = {
      id,
      uuid: uuidField(r, 'uuid'),
      name: r.string('name', `Egg ${id}`),
      startup: r.string('startup', DEFAULT_EGG_STARTUP),
      dockerImage: r.string('dockerImage', 'node-daemon-test/busybox:latest'),
      configFrom,
      configStartup: r.jsonText('configStartup', inherits ? null : '{"done":"Server started"}'),
      configStop: r.nullableString('configStop', inherits ? null : '^C'),
      configFiles: r.jsonText('configFiles', inherits ? null : '{}'),
      configLogs: r.jsonText('configLogs', inherits ? null : '{}'),
      fileDenylist: inherits && !r.has('fileDenylist') ? null : fileDenylist,
      forceOutgoingIp: r.bool('forceOutgoingIp', false),
      copyScriptFrom,
      scriptContainer: r.string('scriptContainer', 'node-daemon-test/busybox:latest'),
      scriptEntry: r.string('scriptEntry', 'ash'),
      scriptInstall: r.nullableString('scriptInstall', '#!/bin/ash\necho "nothing to install"\n'),
      variables,
    }
    this.eggs.push(egg)
    return egg
  }

  /** Adds a server with its allocations and backups; `status` defaults to installed (null). */
  addServer(input: unknown, path = 'server'): ServerRecord {
    const r = new FieldReader(input, path)
    r.only(SERVER_FIELDS)
    const id = this.#newId(r, this.servers)
    const uuid = uuidField(r, 'uuid')
    if (this.servers.some((s) => s.uuid === uuid || s.uuidShort === uuid.slice(0, 8))) {
      throw new FixtureError(`${r.path('uuid')} ${uuid} (or its short id) is already used`)
    }
    const egg = this.#eggRef(r.raw('egg') ?? this.eggs[0]?.id, r.path('egg'))
    const server: ServerRecord = {
      id,
      uuid,
      uuidShort: uuid.slice(0, 8),
      name: `Server ${id}`,
      description: '',
      nodeId: this.nodes[0]!.id,
      ownerId: this.users[0]!.id,
      eggId: egg.id,
      status: null,
      skipScripts: false,
      startup: egg.startup,
      image: egg.dockerImage,
      memory: 512,
      swap: 0,
      io: 500,
      cpu: 0,
      threads: null,
      disk: 1024,
      oomDisabled: true,
      allocationLimit: 0,
      backupLimit: 0,
      allocationId: 0,
      variables: {},
      mounts: [],
      subusers: [],
      installedAt: new Date().toISOString(),
    }
    this.#applyServerFields(server, r, true)
    this.servers.push(server)
    r.array('backups').forEach((b, i) => this.addBackup(server, b, `${r.path('backups')}[${i}]`))
    return server
  }

  /** Applies a patch (same fields as a server fixture, minus id/uuid/backups). */
  updateServer(server: ServerRecord, patch: unknown, path = 'patch'): ServerRecord {
    const r = new FieldReader(patch, path)
    r.only(SERVER_PATCH_FIELDS)
    // Validate against a copy so a bad patch changes nothing.
    const draft: ServerRecord = structuredClone(server)
    const allocationsBefore = this.allocations.map((a) => ({ ...a }))
    try {
      this.#applyServerFields(draft, r, false)
    } catch (err) {
      this.allocations.splice(0, this.allocations.length, ...allocationsBefore)
      throw err
    }
    Object.assign(server, draft)
    return server
  }

  removeServer(server: ServerRecord): void {
    this.servers.splice(this.servers.indexOf(server), 1)
    for (const a of this.allocations) if (a.serverId === server.id) a.serverId = null
    for (const b of this.backups) {
      if (b.serverId === server.id && b.deletedAt === null) b.deletedAt = new Date().toISOString()
    }
  }

  addBackup(server: ServerRecord, input: unknown, path = 'backup'): BackupRecord {
    const r = new FieldReader(input, path)
    r.only(BACKUP_FIELDS)
    const uuid = uuidField(r, 'uuid')
    if (this.backups.some((b) => b.uuid === uuid)) {
      throw new FixtureError(`${r.path('uuid')} ${uuid} is already used`)
    }
    const isSuccessful = r.bool('isSuccessful', false)
    const backup: BackupRecord = {
      uuid,
      serverId: server.id,
      name: r.string('name', `Backup ${this.backups.length + 1}`),
      disk: r.oneOf('disk', ['wings', 's3'], this.backupDriver),
      isSuccessful,
      isLocked: r.bool('isLocked', false),
      checksum: r.nullableString('checksum', null),
      bytes: r.int('bytes', 0, 0),
      uploadId: r.nullableString('uploadId', null),
      completedAt: r.nullableString('completedAt', isSuccessful ? new Date().toISOString() : null),
      ignoredFiles: r.stringArray('ignoredFiles', []),
      deletedAt: null,
    }
    this.backups.push(backup)
    return backup
  }

  /** The Panel's `getByUuid`: full uuid or 8-character short id, case-insensitive (MySQL collation). */
  findServer(identifier: string): ServerRecord | undefined {
    const id = identifier.toLowerCase()
    return this.servers.find((s) => s.uuid.toLowerCase() === id || s.uuidShort.toLowerCase() === id)
  }

  /** A backup that is not soft-deleted. */
  findBackup(uuid: string): BackupRecord | undefined {
    const id = uuid.toLowerCase()
    return this.backups.find((b) => b.uuid.toLowerCase() === id && b.deletedAt === null)
  }

  node(id: number): NodeRecord {
    const node = this.nodes.find((n) => n.id === id)
    if (!node) throw new FixtureError(`node ${id} does not exist`)
    return node
  }

  egg(id: number): EggRecord {
    const egg = this.eggs.find((e) => e.id === id)
    if (!egg) throw new FixtureError(`egg ${id} does not exist`)
    return egg
  }

  user(id: number): UserRecord | undefined {
    return this.users.find((u) => u.id === id)
  }

  serverById(id: number): ServerRecord | undefined {
    return this.servers.find((s) => s.id === id)
  }

  allocation(id: number): AllocationRecord {
    const allocation = this.allocations.find((a) => a.id === id)
    if (!allocation) throw new FixtureError(`allocation ${id} does not exist`)
    return allocation
  }

  /** Allocations assigned to the server on the given node, in id order (the DB's order). */
  allocationsOf(server: ServerRecord, nodeId = server.nodeId): AllocationRecord[] {
    return this.allocations.filter((a) => a.serverId === server.id && a.nodeId === nodeId)
  }

  /** The running transfer of a server (`successful` still null), newest first as the Panel orders it. */
  activeTransfer(server: ServerRecord): TransferRecord | undefined {
    return this.transfers.filter((t) => t.serverId === server.id && t.successful === null).at(-1)
  }

  /** Finds a free allocation on a node, creating one when none is free. */
  reserveAllocation(
    nodeId: number,
    serverId: number,
    ip = '127.0.0.1',
    port?: number,
  ): AllocationRecord {
    const wanted = port ?? this.#freePort(nodeId, ip)
    let allocation = this.allocations.find(
      (a) => a.nodeId === nodeId && a.ip === ip && a.port === wanted,
    )
    if (allocation && allocation.serverId !== null && allocation.serverId !== serverId) {
      throw new FixtureError(`allocation ${ip}:${wanted} on node ${nodeId} is already assigned`)
    }
    if (!allocation) {
      allocation = { id: this.allocations.length + 1, nodeId, ip, port: wanted, serverId: null }
      this.allocations.push(allocation)
    }
    allocation.serverId = serverId
    return allocation
  }

  #freePort(nodeId: number, ip: string): number {
    while (
      this.allocations.some((a) => a.nodeId === nodeId && a.ip === ip && a.port === this.#nextPort)
    ) {
      this.#nextPort++
    }
    return this.#nextPort++
  }

  #applyServerFields(server: ServerRecord, r: FieldReader, creating: boolean): void {
    server.name = r.string('name', server.name)
    server.description = r.string('description', server.description)
    if (r.has('node')) server.nodeId = this.node(r.int('node', 0, 1)).id
    if (r.has('owner')) server.ownerId = this.#userRef(r.int('owner', 0, 1), r.path('owner')).id
    if (r.has('egg')) server.eggId = this.#eggRef(r.raw('egg'), r.path('egg')).id
    if (r.has('status') || r.raw('status') === null) {
      const status = r.raw('status')
      if (status !== null && !SERVER_STATUSES.includes(status as never)) {
        throw new FixtureError(
          `${r.path('status')} must be null or one of ${SERVER_STATUSES.join(', ')}`,
        )
      }
      server.status = status as ServerStatus
    }
    if (r.has('suspended')) {
      const suspended = r.bool('suspended', false)
      if (suspended) server.status = 'suspended'
      else if (server.status === 'suspended') server.status = null
    }
    server.skipScripts = r.bool('skipScripts', server.skipScripts)
    server.startup = r.string('startup', server.startup)
    server.image = r.string('image', server.image)
    server.memory = r.int('memory', server.memory, 0)
    server.swap = r.int('swap', server.swap, -1)
    server.io = r.int('io', server.io, 10, 1000)
    server.cpu = r.int('cpu', server.cpu, 0)
    server.threads = r.nullableString('threads', server.threads)
    server.disk = r.int('disk', server.disk, 0)
    server.oomDisabled = r.bool('oomDisabled', server.oomDisabled)
    server.allocationLimit = r.nullableInt('allocationLimit', server.allocationLimit)
    server.backupLimit = r.int('backupLimit', server.backupLimit, 0)
    server.installedAt = r.nullableString('installedAt', server.installedAt)
    if (r.has('environment')) {
      const env = r.raw('environment')
      if (!isObject(env)) throw new FixtureError(`${r.path('environment')} must be an object`)
      const egg = this.egg(server.eggId)
      for (const [key, value] of Object.entries(env)) {
        if (!egg.variables.some((v) => v.envVariable === key)) {
          throw new FixtureError(
            `${r.path('environment')}.${key} is not a variable of egg ${egg.id} (declare it in the egg's "variables")`,
          )
        }
        if (value !== null && typeof value !== 'string') {
          throw new FixtureError(`${r.path('environment')}.${key} must be a string or null`)
        }
        server.variables[key] = value
      }
    }
    if (r.has('mounts')) {
      server.mounts = r.array('mounts').map((m, i) => {
        const mr = new FieldReader(m, `${r.path('mounts')}[${i}]`)
        mr.only(['source', 'target', 'readOnly'])
        return {
          source: mr.string('source', ''),
          target: mr.string('target', ''),
          readOnly: mr.bool('readOnly', false),
        }
      })
    }
    if (r.has('subusers')) {
      server.subusers = r.array('subusers').map((s, i) => {
        const sr = new FieldReader(s, `${r.path('subusers')}[${i}]`)
        sr.only(['user', 'permissions'])
        const user = this.#userRef(sr.int('user', 0, 1), sr.path('user'))
        return { userId: user.id, permissions: sr.stringArray('permissions', []) }
      })
    }
    if (r.has('allocations') || creating) {
      const list = r.array('allocations').map((a, i) => {
        const ar = new FieldReader(a, `${r.path('allocations')}[${i}]`)
        ar.only(['ip', 'port'])
        const ip = ar.string('ip', '')
        if (ip === '') throw new FixtureError(`${ar.path('ip')} is required`)
        return { ip, port: ar.int('port', 0, 1, 65535) }
      })
      for (const a of this.allocations) {
        if (a.serverId === server.id && a.nodeId === server.nodeId) a.serverId = null
      }
      const assigned =
        list.length === 0
          ? [this.reserveAllocation(server.nodeId, server.id)]
          : list.map((a) => this.reserveAllocation(server.nodeId, server.id, a.ip, a.port))
      server.allocationId = assigned[0]!.id
    } else if (r.has('node')) {
      // Moving a server by hand (not a transfer) gives it a fresh allocation on the new node.
      server.allocationId = this.reserveAllocation(server.nodeId, server.id).id
    }
  }

  #checkEggLinks(egg: EggRecord, path: string): void {
    for (const ref of [egg.configFrom, egg.copyScriptFrom]) {
      if (ref !== null && !this.eggs.some((e) => e.id === ref)) {
        throw new FixtureError(`${path}: egg ${egg.id} refers to egg ${ref}, which does not exist`)
      }
    }
  }

  #eggRef(ref: unknown, path: string): EggRecord {
    const egg = this.eggs.find((e) => e.id === ref || e.uuid === ref)
    if (!egg) throw new FixtureError(`${path} refers to egg ${String(ref)}, which does not exist`)
    return egg
  }

  #userRef(id: number, path: string): UserRecord {
    const user = this.user(id)
    if (!user) throw new FixtureError(`${path} refers to user ${id}, which does not exist`)
    return user
  }

  #newId(r: FieldReader, rows: readonly { id: number }[]): number {
    const max = rows.reduce((m, row) => Math.max(m, row.id), 0)
    const id = r.int('id', max + 1, 1)
    if (rows.some((row) => row.id === id))
      throw new FixtureError(`${r.path('id')} ${id} is already used`)
    return id
  }
}

function uuidField(r: FieldReader, key: string): string {
  const uuid = r.string(key, randomUUID())
  if (!UUID_PATTERN.test(uuid)) throw new FixtureError(`${r.path(key)} must be a UUID`)
  return uuid.toLowerCase()
}

function checkUrl(value: string, path: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new FixtureError(`${path} must be an absolute http(s) URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FixtureError(`${path} must be an absolute http(s) URL`)
  }
  return value
}
