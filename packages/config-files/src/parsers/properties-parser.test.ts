import type { ConfigReplacement } from '@node/server-state'
import { MemoryLogger } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'
import { rewriteConfigFileBytes, rewriteEggProperties } from '../rewrite-config-file.js'

function r(match: string, replaceWith: unknown, ifValue?: string): ConfigReplacement {
  return { match, replaceWith, ifValue }
}

// The head of a real Paper server.properties.
const SERVER_PROPERTIES = `#Minecraft server properties
#Sun Nov 22 18:04:11 UTC 2026
enable-jmx-monitoring=false
rcon.port=25575
level-seed=
gamemode=survival
enable-command-block=false
# a comment further down, which the reference drops
enable-query=false
motd=\\u00A7aA Minecraft Server
query.port=25565
server-ip=
server-port=25565
`

// The Paper egg's replacements, as the Panel sends them (§4.2).
const PAPER = [r('server-ip', '0.0.0.0'), r('server-port', '25570'), r('query.port', '25570')]

describe('properties parser', () => {
  it('sets the egg keys and keeps every other line byte for byte', () => {
    const out = rewriteEggProperties(SERVER_PROPERTIES, PAPER)
    expect(out).toBe(
      SERVER_PROPERTIES.replace('query.port=25565', 'query.port=25570')
        .replace('server-ip=\n', 'server-ip=0.0.0.0\n')
        .replace('server-port=25565', 'server-port=25570'),
    )
  })

  it('appends missing keys at the end', () => {
    const out = rewriteEggProperties('#head\nmotd=hi\n', [
      r('server-port', 25565),
      r('online-mode', false),
    ])
    expect(out).toBe('#head\nmotd=hi\nserver-port=25565\nonline-mode=false\n')
  })

  it('creates content for an empty (new) file', () => {
    expect(rewriteEggProperties('', [r('server-port', '25565')])).toBe('server-port=25565\n')
  })

  it('leaves the file unchanged when the values already match', () => {
    const once = rewriteEggProperties(SERVER_PROPERTIES, PAPER)
    expect(rewriteEggProperties(once, PAPER)).toBe(once)
  })

  it('escapes written values the way the reference does, readable by Java', () => {
    const out = rewriteEggProperties('motd=x\n', [
      r('motd', '§bWörld "quoted" back\\slash\ttab\nline'),
    ])
    expect(out).toBe('motd=\\u00a7bW\\u00f6rld \\"quoted\\" back\\\\slash\\ttab\\nline\n')
    expect(rewriteEggProperties('', [r('motd', ' leading')])).toBe('motd=\\ leading\n')
    expect(rewriteEggProperties('', [r('a=b c', 'v')])).toBe('a\\=b\\ c=v\n')
  })

  it('applies if_value only when the key holds exactly that value', () => {
    const file = 'server-ip=127.0.0.1\nserver-port=25565\n'
    expect(rewriteEggProperties(file, [r('server-ip', '0.0.0.0', '127.0.0.1')])).toBe(
      'server-ip=0.0.0.0\nserver-port=25565\n',
    )
    expect(rewriteEggProperties(file, [r('server-ip', '0.0.0.0', '10.0.0.1')])).toBe(file)
    expect(rewriteEggProperties(file, [r('query.port', '1', '25565')])).toBe(file)
  })

  it('compares if_value against the value with ${key} references expanded', () => {
    const file = 'base=25565\nserver-port=${base}\nloop=${loop}\n'
    const logger = new MemoryLogger()
    expect(
      rewriteEggProperties(file, [r('server-port', '30000', '25565'), r('loop', 'x', 'y')], {
        logger,
      }),
    ).toBe('base=25565\nserver-port=30000\nloop=${loop}\n')
    expect(logger.records.map((record) => record.message)).toContain(
      'circular reference in properties file',
    )
  })

  it('reads the Java separators and continuation lines, keeping each line style', () => {
    const file = 'a = 1\nb:2\nc 3\n  d=multi \\\n    line\ne=5\n'
    const out = rewriteEggProperties(file, [r('a', 'x'), r('b', 'y'), r('c', 'z'), r('d', 'w')])
    expect(out).toBe('a = x\nb:y\nc z\n  d=w\ne=5\n')
    expect(rewriteEggProperties(file, [r('d', 'multi line')])).toBe(file)
  })

  it('keeps CRLF line endings and the byte order mark', () => {
    expect(rewriteEggProperties('\uFEFF#c\r\na=1\r\n', [r('a', '2'), r('b', '3')])).toBe(
      '\uFEFF#c\r\na=2\r\nb=3\r\n',
    )
  })

  it('keeps a Latin-1 file byte for byte around the changed line', () => {
    const latin1 = Buffer.from('motd=Gr\xfc\xdfe\nserver-port=1\n', 'latin1')
    const out = rewriteConfigFileBytes('properties', latin1, [r('server-port', '2')])
    expect(out?.equals(Buffer.from('motd=Gr\xfc\xdfe\nserver-port=2\n', 'latin1'))).toBe(true)
  })
})
