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
  const user = await resolveSystemUser(config)
  return {
    ...config,
    system: { ...config.system, timezone, user: { ...config.system.user, ...user } },
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
}

/** Rootless: the daemon's own ids. Else `system.username`, created as a system user if missing. */
export async function resolveSystemUser(config: DaemonConfig): Promise<SystemUser> {
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
