import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'

import { createTempDir, type TempDir } from '@node/testkit'

import { installLogrotateConfig, logrotateConfig } from './logrotate.js'

let dir: TempDir | undefined
afterEach(async () => {
  await dir?.[Symbol.asyncDispose]()
  dir = undefined
})

async function logrotateDir(): Promise<string> {
  dir = await createTempDir('logrotate-')
  const d = path.join(dir.path, 'logrotate.d')
  await mkdir(d)
  return d
}

describe('installLogrotateConfig', () => {
  it("writes the reference's file for wings.log when logrotate is installed", async () => {
    const directory = await logrotateDir()

    const outcome = await installLogrotateConfig({
      enabled: true,
      logDirectory: '/var/log/pterodactyl',
      directory,
    })

    expect(outcome).toBe('written')
    expect(await readFile(path.join(directory, 'wings'), 'utf8')).toBe(
      [
        '/var/log/pterodactyl/wings.log {',
        '    size 10M',
        '    compress',
        '    delaycompress',
        '    dateext',
        '    maxage 7',
        '    missingok',
        '    notifempty',
        '    postrotate',
        '        /usr/bin/systemctl kill -s HUP wings.service >/dev/null 2>&1 || true',
        '    endscript',
        '}',
        '',
      ].join('\n'),
    )
  })

  it("never replaces the operator's own file", async () => {
    const directory = await logrotateDir()
    await writeFile(path.join(directory, 'wings'), 'mine\n')

    const outcome = await installLogrotateConfig({ enabled: true, logDirectory: '/l', directory })

    expect(outcome).toBe('present')
    expect(await readFile(path.join(directory, 'wings'), 'utf8')).toBe('mine\n')
  })

  it('does nothing when disabled or when logrotate has no directory here', async () => {
    const directory = await logrotateDir()

    expect(await installLogrotateConfig({ enabled: false, logDirectory: '/l', directory })).toBe(
      'disabled',
    )
    expect(
      await installLogrotateConfig({
        enabled: true,
        logDirectory: '/l',
        directory: path.join(directory, 'missing'),
      }),
    ).toBe('no-logrotate')
  })

  it('names the log file inside the configured log directory', () => {
    expect(logrotateConfig('/srv/logs').split('\n')[0]).toBe('/srv/logs/wings.log {')
  })
})
