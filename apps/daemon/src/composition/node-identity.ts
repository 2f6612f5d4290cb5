import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'

import type { DaemonConfig } from '../config/schema.js'

const run = promisify(execFile)

/**
 * Boot steps 3 and 5 of behaviour §1: the time zone containers get as `TZ`, and the system user
 * server files and processes belong to. Both are recomputed at every start and kept in memory.
 */
export async function resolveNodeIdentity(config: DaemonConfig): Promise<DaemonConfig> {
  const timezone = await resolveTimezone(config.system.timezone)
  const { username = config.system.username, ...ids } = await resolveSystemUser(config)
  return {
    ...config,
    system: { ...config.system, timezone, username, user: { ...config.system.user, ...ids } },
  }
}

/** `system.timezone`, else `$TZ`, else `/etc/timezone`, else UTC; it must be a known zone. */
export async function resolveTimezone(configured: string): Promise<string> {
  const candidate =
    configured ||
    process.env['TZ'] ||
    (await readFile('/etc/timezone', 'utf8').then(
      (text) => text.trim(),
      () => '',
    )) ||
    'UTC'
  // The reference strips everything outside [a-zA-Z_/] before loading the zone.
  const zone = candidate.replace(/[^a-zA-Z_/]/g, '')
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
  } catch {
    throw new Error(
      `system.timezone: "${candidate}" is not a time zone this machine knows (e.g. Europe/Berlin)`,
    )
  }
  return zone
}

/** What `useradd` accepts as a system user name. */
export const SYSTEM_USERNAME = /^[a-z_][a-z0-9_-]{0,31}$/

export interface SystemUser {
  readonly uid: number
  readonly gid: number
  /** Set when it replaces `system.username` (the official container image). */
  readonly username?: string
}

export interface SystemUserOptions {
  /** Where the distribution is named (default `/etc/os-release`). */
  readonly osReleaseFile?: string
  readonly env?: NodeJS.ProcessEnv
}

/**
 * Inside the official container image (os-release `ID=distroless`): `WINGS_USERNAME`, `WINGS_UID`
 * and `WINGS_GID` (default `pterodactyl`, 988, 988), as the reference; nothing is created there.
 * Rootless: the daemon's own ids. Else `system.username`, created as a system user if missing.
 */
export async function resolveSystemUser(
  config: DaemonConfig,
  options: SystemUserOptions = {},
): Promise<SystemUser> {
  if ((await osReleaseId(options.osReleaseFile ?? '/etc/os-release')) === 'distroless') {
    const env = options.env ?? process.env
    return {
      username: env['WINGS_USERNAME'] || 'pterodactyl',
      uid: envId(env, 'WINGS_UID'),
      gid: envId(env, 'WINGS_GID'),
    }
  }
  if (config.system.user.rootless.enabled) {
    return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }
  }
  const name = config.system.username
  if (!SYSTEM_USERNAME.test(name)) {
    throw new Error(`system.username: "${name}" is not a valid user name`)
  }
  const found = await lookupUser(name)
  if (found) return found
  // Another process may create it at the same moment: whatever useradd says, look again.
  const failure = await run('useradd', [
    '--system',
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    name,
  ]).then(
    () => undefined,
    (err: unknown) => err,
  )
  const created = await lookupUser(name)
  if (!created) {
    throw new Error(`system.username: could not create the system user "${name}"`, {
      cause: failure,
    })
  }
  return created
}

/** The `ID` of os-release, unquoted; '' when the file is missing or has none. */
async function osReleaseId(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '')
  const line = text.split('\n').find((l) => l.startsWith('ID='))
  return (line?.slice(3) ?? '').trim().replace(/^["']|["']$/g, '')
}

function envId(env: NodeJS.ProcessEnv, name: 'WINGS_UID' | 'WINGS_GID'): number {
  const value = env[name] || '988'
  if (!/^\d+$/.test(value)) throw new Error(`${name}: "${value}" must be a numeric id`)
  return Number(value)
}

async function lookupUser(name: string): Promise<SystemUser | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8')
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':')
    if (user === name && uid !== undefined && gid !== undefined) {
      return { uid: Number(uid), gid: Number(gid) }
    }
  }
  return undefined
}
