import { writeFile } from 'node:fs/promises'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

import { createTempDir } from '@node/testkit'

import { resolveSystemUser, resolveTimezone } from './node-identity.js'
import { defaultConfig } from '../config/load-config.js'
import type { DaemonConfig } from '../config/schema.js'

function configWith(system: Partial<DaemonConfig['system']>): DaemonConfig {
  const base = defaultConfig()
  return { ...base, system: { ...base.system, ...system } }
}

describe('resolveTimezone', () => {
  it('keeps a configured zone', async () => {
    expect(await resolveTimezone('Europe/Berlin')).toBe('Europe/Berlin')
  })

  it('strips characters outside [a-zA-Z_/] as the reference does', async () => {
    expect(await resolveTimezone(' America/New_York\n')).toBe('America/New_York')
  })

  it('names the key and the expected form for an unknown zone', async () => {
    await expect(resolveTimezone('Mars/Olympus')).rejects.toThrow(/system\.timezone.*Mars\/Olympus/)
  })
})

describe('resolveSystemUser', () => {
  it('uses the daemon’s own ids in rootless mode', async () => {
    const config = configWith({
      user: {
        ...defaultConfig().system.user,
        rootless: { enabled: true, container_uid: 0, container_gid: 0 },
      },
    })
    expect(await resolveSystemUser(config)).toEqual({
      uid: process.getuid!(),
      gid: process.getgid!(),
    })
  })

  it('finds an existing user in /etc/passwd', async () => {
    const config = configWith({ username: 'root' })
    expect(await resolveSystemUser(config)).toEqual({ uid: 0, gid: 0 })
  })

  it('takes WINGS_USERNAME, WINGS_UID and WINGS_GID inside the official image, as the reference', async () => {
    await using dir = await createTempDir('os-release-')
    const osReleaseFile = path.join(dir.path, 'os-release')
    await writeFile(osReleaseFile, 'PRETTY_NAME="Distroless"\nID=distroless\n')
    const config = configWith({ username: 'not-used' })

    expect(
      await resolveSystemUser(config, {
        osReleaseFile,
        env: { WINGS_USERNAME: 'games', WINGS_UID: '1001', WINGS_GID: '1002' },
      }),
    ).toEqual({ username: 'games', uid: 1001, gid: 1002 })
    expect(await resolveSystemUser(config, { osReleaseFile, env: {} })).toEqual({
      username: 'pterodactyl',
      uid: 988,
      gid: 988,
    })
    await expect(
      resolveSystemUser(config, { osReleaseFile, env: { WINGS_UID: 'root' } }),
    ).rejects.toThrow(/WINGS_UID/)
  })

  it('refuses a user name useradd would refuse, before running anything', async () => {
    const config = configWith({ username: 'bad name;rm' })
    await expect(resolveSystemUser(config)).rejects.toThrow(/system\.username/)
  })
})
