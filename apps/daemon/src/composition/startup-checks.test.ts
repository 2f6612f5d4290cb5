import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'

import { defaultConfig } from '../config/load-config.js'
import type { DaemonConfig } from '../config/schema.js'
import { startupProblems } from './startup-checks.js'

const base = defaultConfig()
const panel = {
  ...base,
  remote: 'https://panel.example.com',
  token_id: 'Q0mVwY8pXb3Kc7Rt',
  token: 'secret',
  system: { ...base.system, timezone: 'UTC', environment: 'process' as const },
}

function withSystem(system: Partial<DaemonConfig['system']>): DaemonConfig {
  return { ...panel, system: { ...panel.system, ...system } }
}

let dir: string | undefined
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
  dir = undefined
})

describe('startupProblems', () => {
  it('passes a configuration the daemon can start with', async () => {
    expect(await startupProblems(panel)).toEqual([])
  })

  it('says in one line that a file without a Panel connection is to be copied from the Panel', async () => {
    const problems = await startupProblems(base)

    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/no Panel connection .*Configuration tab.*wings configure/)
  })

  it('names the key of each setting that cannot work', async () => {
    const problems = await startupProblems({
      ...withSystem({ timezone: 'Mars/Olympus', username: 'Bad Name' }),
      remote: '',
      token_id: 'a.b',
    })

    expect(problems).toEqual([
      expect.stringMatching(/^remote: must be an absolute http\(s\) URL/),
      expect.stringMatching(/^token_id: cannot contain a dot/),
      expect.stringMatching(/^system\.timezone: "Mars\/Olympus"/),
      'system.username: "Bad Name" is not a valid user name',
    ])
  })

  it('reads the TLS files when TLS is on, and names the one that is missing', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'startup-checks-'))
    const cert = path.join(dir, 'cert.pem')
    await writeFile(cert, 'not checked here')
    const config = {
      ...panel,
      api: { ...panel.api, ssl: { enabled: true, cert, key: path.join(dir, 'missing.pem') } },
    }

    expect(await startupProblems(config)).toEqual([
      `api.ssl.key: cannot read "${path.join(dir, 'missing.pem')}" (ENOENT)`,
    ])
  })
})
