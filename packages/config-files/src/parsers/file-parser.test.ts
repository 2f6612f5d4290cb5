import type { ConfigReplacement } from '@node/server-state'
import { describe, expect, it } from 'vitest'
import { configValueResolverFrom } from '../resolve-replacement.js'
import { rewriteEggText } from '../rewrite-config-file.js'

function r(match: string, replaceWith: unknown): ConfigReplacement {
  return { match, replaceWith, ifValue: undefined }
}

// A Source-engine server.cfg, rewritten line by line as eggs with the `file` parser do.
const SERVER_CFG = 'hostname "My Server"\r\nrcon_password "old"\r\nsv_lan 0\r\n// rcon_port'

describe('file parser', () => {
  it('replaces every line starting with match by the raw value, writing LF endings', () => {
    const out = rewriteEggText(SERVER_CFG, [
      r('hostname', 'hostname "New Name"'),
      r('rcon_password', 'rcon_password "secret"'),
    ])
    expect(out).toBe('hostname "New Name"\nrcon_password "secret"\nsv_lan 0\n// rcon_port\n')
  })

  it('concatenates the values of several matching replacements', () => {
    expect(rewriteEggText('port=1\nx\n', [r('port', 'port=2'), r('po', '#')])).toBe('port=2#\nx\n')
  })

  it('does not resolve config placeholders and prints non-strings as JSON text', () => {
    const resolver = configValueResolverFrom({ docker: { network: { interface: '1.2.3.4' } } })
    const out = rewriteEggText(
      'ip\nport\nflag\n',
      [r('ip', 'ip={{config.docker.network.interface}}'), r('port', 25565), r('flag', null)],
      { resolver },
    )
    expect(out).toBe('ip={{config.docker.network.interface}}\n25565\n<nil>\n')
  })

  it('leaves an empty file empty', () => {
    expect(rewriteEggText('', [r('a', 'b')])).toBe('')
  })
})
