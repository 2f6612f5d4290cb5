import type { ConfigReplacement } from '@node/server-state'
import { MemoryLogger } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'
import { configValueResolverFrom } from '../resolve-replacement.js'
import { rewriteEggYaml } from '../rewrite-config-file.js'
import { MalformedConfigFileError } from './malformed-config-file-error.js'

function r(match: string, replaceWith: unknown, ifValue?: string): ConfigReplacement {
  return { match, replaceWith, ifValue }
}

const resolver = configValueResolverFrom({ docker: { network: { interface: '172.18.0.1' } } })

// BungeeCord's generated config.yml (shortened), with a comment added.
const BUNGEE_CONFIG = `server_connect_timeout: 5000
listeners:
- query_port: 25577
  motd: '&1Another Bungee server'
  priorities:
  - lobby
  bind_local_address: true
  host: 0.0.0.0:25577
  max_players: 1
remote_ping_cache: -1
# backend servers
servers:
  lobby:
    motd: '&1Just another BungeeCord - Forced Host'
    address: localhost:25565
    restricted: false
  survival:
    address: 127.0.0.1:25566
  remote:
    address: play.example.com:25565
online_mode: true
`

// The BungeeCord egg's replacements (panel-contract §C.3), for a server on port 25580.
const BUNGEE = [
  r('listeners[0].query_port', '25580'),
  r('listeners[0].host', '0.0.0.0:25580'),
  r(
    'servers.*.address',
    '{{config.docker.network.interface}}$2',
    'regex:^(127\\.0\\.0\\.1|localhost)(:\\d{1,5})?$',
  ),
]

describe('yaml parser', () => {
  it('applies the BungeeCord egg: array index, regex if_value with $2, comments kept', () => {
    const out = rewriteEggYaml(BUNGEE_CONFIG, BUNGEE, { resolver })
    expect(out).toBe(
      BUNGEE_CONFIG.replace('query_port: 25577', 'query_port: 25580')
        .replace('host: 0.0.0.0:25577', 'host: 0.0.0.0:25580')
        .replace('address: localhost:25565', 'address: 172.18.0.1:25565')
        .replace('address: 127.0.0.1:25566', 'address: 172.18.0.1:25566'),
    )
  })

  it('writes integers as numbers, booleans as booleans and other text as strings', () => {
    const out = rewriteEggYaml('a: 1\n', [
      r('port', '25565'),
      r('negative', '-1'),
      r('enabled', true),
      r('text', 'true'),
      r('ratio', '1.5'),
      r('big', '9007199254740993'),
      r('huge', '99999999999999999999'),
      r('nothing', null),
    ])
    expect(out).toBe(
      'a: 1\nport: 25565\nnegative: -1\nenabled: true\ntext: "true"\nratio: "1.5"\n' +
        'big: 9007199254740993\nhuge: "99999999999999999999"\nnothing: <nil>\n',
    )
  })

  it('creates missing intermediate keys, and an absent array only for index 0', () => {
    const logger = new MemoryLogger()
    const out = rewriteEggYaml(
      'settings:\n  name: x\n',
      [
        r('settings.network.port', '1'),
        r('ports[0]', '2'),
        r('hosts[1].ip', '3'),
        r('list[0].a', '4'),
      ],
      { logger },
    )
    expect(out).toBe(
      'settings:\n  name: x\n  network:\n    port: 1\nports:\n  - 2\nlist:\n  - a: 4\n',
    )
    expect(logger.records).toHaveLength(1)
    expect(logger.records[0]?.message).toContain('hosts has no element 1')
  })

  it('reports and skips a path that runs through a scalar', () => {
    const logger = new MemoryLogger()
    expect(rewriteEggYaml('a: 1\n', [r('a.b', 'x')], { logger })).toBe('a: 1\n')
    expect(logger.records[0]?.level).toBe('warn')
  })

  it('applies a plain if_value only when the current value equals it', () => {
    const file = 'host: 127.0.0.1\nport: 25565\n'
    expect(rewriteEggYaml(file, [r('host', '0.0.0.0', '127.0.0.1')])).toBe(
      'host: 0.0.0.0\nport: 25565\n',
    )
    expect(rewriteEggYaml(file, [r('port', '30000', '25565')])).toBe(
      'host: 127.0.0.1\nport: 30000\n',
    )
    expect(rewriteEggYaml(file, [r('host', '0.0.0.0', '10.0.0.1')])).toBe(file)
    expect(rewriteEggYaml(file, [r('missing', 'x', 'y')])).toBe(file)
  })

  it('never creates a key for a regex if_value and warns about an invalid pattern', () => {
    const logger = new MemoryLogger()
    const file = 'servers:\n  a:\n    motd: hi\n'
    expect(
      rewriteEggYaml(file, [r('servers.*.address', 'x', 'regex:^localhost')], { logger }),
    ).toBe(file)
    expect(rewriteEggYaml(file, [r('servers.a.motd', 'x', 'regex:(')], { logger })).toBe(file)
    expect(logger.records.map((record) => record.message)).toEqual([
      'configuration if_value is not a valid regular expression',
    ])
  })

  it('sets a key under every child of a wildcard, in maps and in lists', () => {
    const out = rewriteEggYaml(
      'worlds:\n  a: {}\n  b:\n    pvp: true\nlist:\n  - x: 1\n  - x: 2\n',
      [r('worlds.*.pvp', false), r('list.*.x', '9')],
    )
    expect(out).toBe(
      'worlds:\n  a: { pvp: false }\n  b:\n    pvp: false\nlist:\n  - x: 9\n  - x: 9\n',
    )
  })

  it('keeps anchors, quoting and YAML 1.1 spellings of values it does not touch', () => {
    const file = "base: &base\n  host: 'localhost'\ncopy: *base\nflag: yes\nport: 1\n"
    expect(rewriteEggYaml(file, [r('port', '2'), r('base.host', 'example')])).toBe(
      "base: &base\n  host: 'example'\ncopy: *base\nflag: yes\nport: 2\n",
    )
    // A new string that YAML 1.1 would read as a boolean is quoted.
    expect(rewriteEggYaml('', [r('a', 'yes')])).toBe('a: "yes"\n')
  })

  it('leaves a file whose values already match byte for byte', () => {
    const file = "a:   1e3 # spaced\nb: 'x'\nc: [1,2]\n"
    expect(rewriteEggYaml(file, [r('a', '1000'), r('b', 'x')])).toBe(file)
    const once = rewriteEggYaml(BUNGEE_CONFIG, BUNGEE, { resolver })
    expect(rewriteEggYaml(once, BUNGEE, { resolver })).toBe(once)
  })

  it('indexes existing lists with numeric segments and escapes dots in keys with ~1', () => {
    const out = rewriteEggYaml('list:\n  - a: 1\nplugin.yml:\n  x: 1\n', [
      r('list.0.a', '2'),
      r('plugin~1yml.x', '3'),
    ])
    expect(out).toBe('list:\n  - a: 2\nplugin.yml:\n  x: 3\n')
  })

  it('writes through an alias into its anchor', () => {
    const out = rewriteEggYaml('base: &b\n  port: 1\nserver: *b\n', [r('server.port', '2')])
    expect(out).toBe('base: &b\n  port: 2\nserver: *b\n')
  })

  it('creates a document for an empty (new) file with 4-space indentation', () => {
    expect(rewriteEggYaml('', [r('a.b.c', 'x')])).toBe('a:\n    b:\n        c: x\n')
  })

  it('rejects malformed YAML and roots that are not mappings', () => {
    expect(() => rewriteEggYaml('a: [1, 2\n', [r('a', '1')])).toThrow(MalformedConfigFileError)
    expect(() => rewriteEggYaml('- 1\n- 2\n', [r('a', '1')])).toThrow('not a mapping')
    expect(() => rewriteEggYaml('a: 1\na: 2\n', [r('b', '1')])).not.toThrow()
  })
})
