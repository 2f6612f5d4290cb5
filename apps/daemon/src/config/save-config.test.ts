import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { editConfig } from './edit-config.js'
import { defaultConfig, loadConfig } from './load-config.js'
import { saveConfig, toConfigYaml } from './save-config.js'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'daemon-save-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('saveConfig', () => {
  it('writes YAML that loads back to the same configuration, mode 0600', async () => {
    const file = path.join(dir, 'config.yml')
    const config = editConfig(defaultConfig(), (c) => {
      c.token = 'yes'
      c.token_id = '0755'
      c.docker.registries = { 'registry.example.com': { username: 'u', password: 'p' } }
      c.docker.overhead.multipliers = { '2048': 1.15 }
    })

    await saveConfig(file, config)

    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(await readFile(file, 'utf8')).toContain('    multipliers:\n      2048: 1.15\n')
    expect((await loadConfig({ path: file, env: {} })).config).toEqual(config)
    expect(await readdir(dir)).toEqual(['config.yml'])
  })

  it('keeps unknown keys through a load and a save', async () => {
    const file = path.join(dir, 'config.yml')
    await writeFile(
      file,
      '# a comment\nsystem:\n  passwd:\n    enabled: true\n    directory: /run/wings/etc\n  data: /srv/volumes\nx.y: {a.b: 1}\n',
    )
    const loaded = await loadConfig({ path: file, env: {} })

    await saveConfig(file, loaded.config)
    const reloaded = await loadConfig({ path: file, env: {} })

    expect(reloaded.config).toEqual(loaded.config)
    expect(reloaded.unknownKeys).toEqual(['system.passwd', 'x.y'])
    const text = await readFile(file, 'utf8')
    expect(text).toContain('  passwd:\n    enabled: true\n    directory: /run/wings/etc\n')
    expect(text).not.toContain('# a comment')
  })

  it('writes the file value, not the environment value, of an overridden setting', async () => {
    const file = path.join(dir, 'config.yml')
    await writeFile(file, 'token: file-token-value\n')
    const loaded = await loadConfig({
      path: file,
      env: { WINGS_TOKEN: 'env-token-value', WINGS_API_PORT: '9999' },
    })

    await saveConfig(file, loaded.config, { envOverrides: loaded.envOverrides })

    const text = await readFile(file, 'utf8')
    expect(text).toContain('token: file-token-value\n')
    expect(text).toContain('  port: 8080\n')
    expect(text).not.toContain('env-token-value')
  })

  it('writes a value changed since loading even when the environment had set it', () => {
    const envOverrides = [
      { key: 'token', variable: 'WINGS_TOKEN', value: 'env', fileValue: 'file' },
    ]
    const changed = editConfig(defaultConfig(), (c) => {
      c.token = 'rotated-by-panel'
    })

    expect(toConfigYaml(changed, { envOverrides })).toContain('token: rotated-by-panel\n')
  })

  it('serialises concurrent writes: the last call wins', async () => {
    const file = path.join(dir, 'config.yml')
    const configs = [1, 2, 3, 4, 5].map((n) =>
      editConfig(defaultConfig(), (c) => {
        c.api.port = 8000 + n
      }),
    )

    await Promise.all(configs.map((c) => saveConfig(file, c)))

    expect((await loadConfig({ path: file, env: {} })).config.api.port).toBe(8005)
    expect(await readdir(dir)).toEqual(['config.yml'])
  })

  it('creates the parent directory when missing', async () => {
    const file = path.join(dir, 'etc', 'pterodactyl', 'config.yml')

    await saveConfig(file, defaultConfig())

    expect((await loadConfig({ path: file, env: {} })).config).toEqual(defaultConfig())
  })
})
