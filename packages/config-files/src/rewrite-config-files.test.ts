import type { ConfigFileRewrite } from '@node/server-state'
import { MemoryLogger } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'
import { configValueResolverFrom } from './resolve-replacement.js'
import { MAX_CONFIG_FILE_BYTES, rewriteConfigFiles } from './rewrite-config-files.js'
import { InMemoryConfigFileIo } from './testing/in-memory-config-file-io.js'

const resolver = configValueResolverFrom({ docker: { network: { interface: '172.18.0.1' } } })

function config(
  parser: string,
  file: string,
  replace: [match: string, replaceWith: unknown, ifValue?: string][],
): ConfigFileRewrite {
  return {
    parser,
    file,
    replace: replace.map(([match, replaceWith, ifValue]) => ({ match, replaceWith, ifValue })),
  }
}

describe('rewriteConfigFiles', () => {
  it('rewrites every file; a malformed one is logged and does not stop the others', async () => {
    const io = new InMemoryConfigFileIo({
      'server.properties': 'server-port=1\n',
      'config.yml': 'listeners:\n- host: 0.0.0.0:1\n',
      'broken.json': '{ nope',
    })
    const logger = new MemoryLogger()
    const results = await rewriteConfigFiles(
      [
        config('json', 'broken.json', [['a', '1']]),
        config('properties', 'server.properties', [['server-port', '25565']]),
        config('yaml', 'config.yml', [
          ['listeners[0].host', '{{config.docker.network.interface}}:1'],
        ]),
      ],
      io,
      resolver,
      logger,
    )
    expect(results.map((result) => result.outcome)).toEqual(['failed', 'written', 'written'])
    expect(io.text('server.properties')).toBe('server-port=25565\n')
    expect(io.text('config.yml')).toBe('listeners:\n- host: 172.18.0.1:1\n')
    expect(io.text('broken.json')).toBe('{ nope')
    expect(logger.records).toHaveLength(1)
    expect(logger.records[0]).toMatchObject({
      level: 'error',
      message: 'failed to parse and update server configuration file',
      fields: { file: 'broken.json', parser: 'json' },
    })
  })

  it('creates a missing file, with the replacements when its parser can write them', async () => {
    const io = new InMemoryConfigFileIo()
    const results = await rewriteConfigFiles(
      [
        config('properties', 'server.properties', [['server-port', '25565']]),
        config('xml', 'cfg/a.xml', [['Root.Port', '1']]),
        config('file', 'start.cfg', [['port', 'port 1']]),
      ],
      io,
      resolver,
      new MemoryLogger(),
    )
    expect(results.map((result) => result.outcome)).toEqual(['written', 'written', 'written'])
    expect(io.text('server.properties')).toBe('server-port=25565\n')
    expect(io.text('cfg/a.xml')).toContain('<Root>\n  <Port>1</Port>\n</Root>')
    expect(io.text('start.cfg')).toBe('')
  })

  it('creates an empty file for an unknown parser and changes nothing else', async () => {
    const io = new InMemoryConfigFileIo({ 'kept.toml': 'a = 1\n' })
    const results = await rewriteConfigFiles(
      [config('toml', 'kept.toml', [['a', '2']]), config('toml', 'new.toml', [['a', '2']])],
      io,
      resolver,
      new MemoryLogger(),
    )
    expect(results.map((result) => result.outcome)).toEqual(['skipped', 'skipped'])
    expect(io.text('kept.toml')).toBe('a = 1\n')
    expect(io.text('new.toml')).toBe('')
    expect(io.writes).toEqual(['new.toml'])
  })

  it('does not write a file whose content stays the same', async () => {
    const io = new InMemoryConfigFileIo({ 'server.properties': 'server-port=25565\n' })
    const results = await rewriteConfigFiles(
      [config('properties', 'server.properties', [['server-port', '25565']])],
      io,
      resolver,
      new MemoryLogger(),
    )
    expect(results[0]?.outcome).toBe('unchanged')
    expect(io.writes).toEqual([])
  })

  it('applies entries for the same file one after the other', async () => {
    const io = new InMemoryConfigFileIo({ 'a.yml': 'x: 1\n' })
    await rewriteConfigFiles(
      [config('yaml', 'a.yml', [['b', '2']]), config('yaml', 'a.yml', [['c', '3']])],
      io,
      resolver,
      new MemoryLogger(),
    )
    expect(io.text('a.yml')).toBe('x: 1\nb: 2\nc: 3\n')
  })

  it('logs a file that cannot be read or written and goes on', async () => {
    const io = new InMemoryConfigFileIo({ 'ok.ini': '[a]\nb=1\n' })
    io.failing.add('denied.ini')
    const logger = new MemoryLogger()
    const results = await rewriteConfigFiles(
      [config('ini', 'denied.ini', [['a.b', '2']]), config('ini', 'ok.ini', [['a.b', '2']])],
      io,
      resolver,
      logger,
    )
    expect(results.map((result) => result.outcome)).toEqual(['failed', 'written'])
    expect(results[0]?.error?.message).toBe('cannot read denied.ini')
    expect(io.text('ok.ini')).toBe('[a]\nb=2\n')
  })

  it('refuses a file that is not UTF-8 for a parser that rewrites the whole file', async () => {
    const io = new InMemoryConfigFileIo({ 'a.json': Buffer.from([0x7b, 0xff, 0x7d]) })
    const results = await rewriteConfigFiles(
      [config('json', 'a.json', [['a', '1']])],
      io,
      resolver,
      new MemoryLogger(),
    )
    expect(results[0]?.outcome).toBe('failed')
    expect(io.files.get('a.json')).toEqual(Buffer.from([0x7b, 0xff, 0x7d]))
  })

  it('does not parse files above the size cap, and leaves them as they are', async () => {
    const big = Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1, 'a')
    const io = new InMemoryConfigFileIo({ 'big.yml': big })
    const results = await rewriteConfigFiles(
      [config('yaml', 'big.yml', [['a', '1']])],
      io,
      resolver,
      new MemoryLogger(),
    )
    expect(results[0]?.outcome).toBe('failed')
    expect(results[0]?.error?.message).toContain(`larger than ${MAX_CONFIG_FILE_BYTES} bytes`)
    expect(io.writes).toEqual([])
  })

  it('stops a parse that runs too long (a pathological egg regex) and goes on', async () => {
    const io = new InMemoryConfigFileIo({
      'slow.yml': `host: ${'a'.repeat(40)}!\n`,
      'ok.yml': 'host: a\n',
    })
    const results = await rewriteConfigFiles(
      [
        config('yaml', 'slow.yml', [['host', 'x', 'regex:^(a+)+$']]),
        config('yaml', 'ok.yml', [['host', 'b']]),
      ],
      io,
      resolver,
      new MemoryLogger(),
      { timeoutMs: 1000 },
    )
    expect(results.map((result) => result.outcome)).toEqual(['failed', 'written'])
    expect(results[0]?.error?.message).toContain('was stopped')
    expect(io.text('slow.yml')).toBe(`host: ${'a'.repeat(40)}!\n`)
    expect(io.text('ok.yml')).toBe('host: b\n')
  })

  it('replays the warnings the parser logged in its worker', async () => {
    const io = new InMemoryConfigFileIo({ 'a.yml': 'a: 1\n' })
    const logger = new MemoryLogger()
    await rewriteConfigFiles([config('yaml', 'a.yml', [['a.b', 'x']])], io, resolver, logger)
    expect(logger.records).toEqual([
      {
        level: 'warn',
        message: 'configuration value not set: a is not an object',
        fields: { file: 'a.yml', parser: 'yaml', match: 'a.b' },
      },
    ])
  })
})
