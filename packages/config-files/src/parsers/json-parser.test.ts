import type { ConfigReplacement } from '@node/server-state'
import { MemoryLogger } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'
import { rewriteEggJson } from '../rewrite-config-file.js'
import { MalformedConfigFileError } from './malformed-config-file-error.js'

function r(match: string, replaceWith: unknown, ifValue?: string): ConfigReplacement {
  return { match, replaceWith, ifValue }
}

// A Vintage Story serverconfig.json (shortened), as its egg rewrites it.
const SERVER_CONFIG = `{
  "FileEditVersion": "1.19.8",
  "ServerName": "Vintage Story Server",
  "Ip": null,
  "Port": 42420,
  "MaxClients": 16,
  "TickTime": 33.333,
  "Roles": [
    { "Code": "suvisitor", "PrivilegeLevel": -1 },
    { "Code": "admin", "PrivilegeLevel": 99999 }
  ],
  "WorldConfig": { "Seed": null, "SaveFileLocation": "/home/container/data/Saves/default.vcdbs" }
}
`

describe('json parser', () => {
  it('applies the replacements, keeps key order and number spelling, indents by 4', () => {
    const out = rewriteEggJson(SERVER_CONFIG, [
      r('Port', '25565'),
      r('Ip', '0.0.0.0'),
      r('MaxClients', 20),
      r('WorldConfig.Seed', '12345'),
    ])
    expect(out).toBe(`{
    "FileEditVersion": "1.19.8",
    "ServerName": "Vintage Story Server",
    "Ip": "0.0.0.0",
    "Port": 25565,
    "MaxClients": 20,
    "TickTime": 33.333,
    "Roles": [
        {
            "Code": "suvisitor",
            "PrivilegeLevel": -1
        },
        {
            "Code": "admin",
            "PrivilegeLevel": 99999
        }
    ],
    "WorldConfig": {
        "Seed": 12345,
        "SaveFileLocation": "/home/container/data/Saves/default.vcdbs"
    }
}
`)
    expect(JSON.parse(out)).toMatchObject({ Port: 25565, WorldConfig: { Seed: 12345 } })
  })

  it('walks wildcards and array indexes, and creates missing objects', () => {
    const out = rewriteEggJson('{"servers":[{"port":1},{"port":2}],"b":{}}', [
      r('servers.*.port', '7'),
      r('servers[1].host', 'h'),
      r('b.c.d', true),
      r('list[0]', 'first'),
    ])
    expect(JSON.parse(out)).toEqual({
      servers: [{ port: 7 }, { port: 7, host: 'h' }],
      b: { c: { d: true } },
      list: ['first'],
    })
  })

  it('keeps keys that look like numbers in place and strings with escapes intact', () => {
    const out = rewriteEggJson('{"b":"\\u00e9\\n\\"","10":1e3,"a":9007199254740993}', [r('x', 'y')])
    expect(out).toBe(
      '{\n    "b": "é\\n\\"",\n    "10": 1e3,\n    "a": 9007199254740993,\n    "x": "y"\n}',
    )
  })

  it('applies if_value as the JSON rules say', () => {
    const file = '{"host":"127.0.0.1:25565","port":25565}'
    expect(JSON.parse(rewriteEggJson(file, [r('port', '1', '25565')]))).toEqual({
      host: '127.0.0.1:25565',
      port: 1,
    })
    expect(
      JSON.parse(
        rewriteEggJson(file, [
          r('host', '10.0.0.5$2', 'regex:^(127\\.0\\.0\\.1|localhost)(:\\d+)?$'),
        ]),
      ),
    ).toEqual({ host: '10.0.0.5:25565', port: 25565 })
  })

  it('leaves a file whose values already match byte for byte', () => {
    expect(rewriteEggJson(SERVER_CONFIG, [r('Port', 42420), r('MaxClients', '16')])).toBe(
      SERVER_CONFIG,
    )
  })

  it('treats an empty file as an empty object', () => {
    expect(rewriteEggJson('', [r('port', '1')])).toBe('{\n    "port": 1\n}')
  })

  it('rejects malformed JSON, including JSON-like YAML', () => {
    expect(() => rewriteEggJson('{"a": 1,}', [r('a', '1')])).toThrow(MalformedConfigFileError)
    expect(() => rewriteEggJson('{a: 1}', [r('a', '1')])).toThrow(MalformedConfigFileError)
  })

  it('reports and skips a path that a scalar root cannot hold', () => {
    const logger = new MemoryLogger()
    expect(rewriteEggJson('"text"', [r('a', '1')], { logger })).toBe('"text"')
    expect(logger.records).toHaveLength(1)
  })
})
