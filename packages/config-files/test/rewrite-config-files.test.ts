import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { nullLogger } from '@node/shared-kernel'
import { createTempDir, type TempDir } from '@node/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ConfigFileIo, configValueResolverFrom, rewriteConfigFiles } from '../src/index.js'

/** A plain directory-backed io: in the daemon the filesystem jail plays this part. */
function directoryIo(root: string): ConfigFileIo {
  return {
    async read(file) {
      try {
        return await readFile(path.join(root, file))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw err
      }
    },
    async write(file, data) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true })
      await writeFile(path.join(root, file), data, { mode: 0o644 })
    },
  }
}

describe('rewriteConfigFiles on real files', () => {
  let dir: TempDir
  beforeEach(async () => {
    dir = await createTempDir('config-files-')
  })
  afterEach(async () => {
    await dir[Symbol.asyncDispose]()
  })

  it('rewrites a Paper server the way the Panel configures it', async () => {
    await writeFile(
      path.join(dir.path, 'server.properties'),
      '#Minecraft server properties\nserver-ip=\nserver-port=25565\nmotd=A Minecraft Server\n',
    )
    const results = await rewriteConfigFiles(
      [
        {
          parser: 'properties',
          file: 'server.properties',
          replace: [
            { match: 'server-ip', ifValue: undefined, replaceWith: '0.0.0.0' },
            { match: 'server-port', ifValue: undefined, replaceWith: '25566' },
            { match: 'query.port', ifValue: undefined, replaceWith: '25566' },
          ],
        },
        {
          parser: 'yaml',
          file: 'plugins/bungee/config.yml',
          replace: [
            { match: 'listeners[0].host', ifValue: undefined, replaceWith: '0.0.0.0:25566' },
          ],
        },
      ],
      directoryIo(dir.path),
      configValueResolverFrom({}),
      nullLogger,
    )
    expect(results.map((result) => result.outcome)).toEqual(['written', 'written'])
    expect(await readFile(path.join(dir.path, 'server.properties'), 'utf8')).toBe(
      '#Minecraft server properties\nserver-ip=0.0.0.0\nserver-port=25566\nmotd=A Minecraft Server\nquery.port=25566\n',
    )
    const created = path.join(dir.path, 'plugins/bungee/config.yml')
    expect(await readFile(created, 'utf8')).toBe('listeners:\n    - host: 0.0.0.0:25566\n')
    expect((await stat(created)).mode & 0o777).toBe(0o644 & ~process.umask())
  })
})
