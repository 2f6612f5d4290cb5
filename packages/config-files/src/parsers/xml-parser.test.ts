import type { ConfigReplacement } from '@node/server-state'
import { MemoryLogger } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'
import { rewriteEggXml } from '../rewrite-config-file.js'
import { MalformedConfigFileError } from './malformed-config-file-error.js'

function r(match: string, replaceWith: unknown): ConfigReplacement {
  return { match, replaceWith, ifValue: undefined }
}

// Space Engineers' SpaceEngineers-Dedicated.cfg (shortened), as its egg rewrites it.
const DEDICATED_CFG = `<?xml version="1.0"?>
<MyConfigDedicated xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
    <SessionSettings>
        <GameMode>Survival</GameMode>
        <MaxPlayers>4</MaxPlayers>
    </SessionSettings>
    <!-- network -->
    <IP>127.0.0.1</IP>
    <ServerPort>27016</ServerPort>
    <ServerName>SE &amp; friends</ServerName>
</MyConfigDedicated>
`

describe('xml parser', () => {
  it('sets element text, creates missing elements and re-indents by 2', () => {
    const out = rewriteEggXml(DEDICATED_CFG, [
      r('MyConfigDedicated.IP', '0.0.0.0'),
      r('MyConfigDedicated.ServerPort', '27020'),
      r('MyConfigDedicated.SessionSettings.MaxPlayers', 10),
      r('MyConfigDedicated.RemoteApiPort', '8080'),
    ])
    expect(out).toBe(`<?xml version="1.0"?>
<MyConfigDedicated xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <SessionSettings>
    <GameMode>Survival</GameMode>
    <MaxPlayers>10</MaxPlayers>
  </SessionSettings>
  <!-- network -->
  <IP>0.0.0.0</IP>
  <ServerPort>27020</ServerPort>
  <ServerName>SE &amp; friends</ServerName>
  <RemoteApiPort>8080</RemoteApiPort>
</MyConfigDedicated>
`)
  })

  it("sets an attribute for [name='value'], walks wildcards, creates under the first match", () => {
    const out = rewriteEggXml('<c><s n="a"/><s n="b">t<x/></s></c>', [
      r('c.*', "[port='1']"),
      r('c.s.x', "[v='<&\">']"),
      r('c.*.y', 'never'),
    ])
    expect(out).toBe(
      '<c>\n  <s n="a" port="1">\n    <x v="&lt;&amp;&quot;&gt;"/>\n  </s>\n' +
        '  <s n="b" port="1">\n    t\n    <x v="&lt;&amp;&quot;&gt;"/>\n  </s>\n</c>\n',
    )
  })

  it('replaces only the leading text of an element with children', () => {
    expect(rewriteEggXml('<a>old<b>keep</b>tail</a>', [r('a', 'new')])).toBe(
      '<a>\n  new\n  <b>keep</b>\n  tail\n</a>\n',
    )
  })

  it('leaves a file whose values already match byte for byte', () => {
    expect(rewriteEggXml(DEDICATED_CFG, [r('MyConfigDedicated.ServerPort', 27016)])).toBe(
      DEDICATED_CFG,
    )
  })

  it('creates a declaration and a root for an empty (new) file', () => {
    expect(rewriteEggXml('', [r('Config.Net.Port', '1'), r('Config.Name', 'n')])).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n<Config>\n  <Net>\n    <Port>1</Port>\n  </Net>\n  <Name>n</Name>\n</Config>\n',
    )
  })

  it('creates nothing under a root with another name', () => {
    expect(rewriteEggXml('<a/>', [r('b.c', '1')])).toBe('<a/>')
  })

  it('warns about matches that are no element path', () => {
    const logger = new MemoryLogger()
    expect(rewriteEggXml('<a/>', [r("a.b[@x='1']", '1')], { logger })).toBe('<a/>')
    expect(logger.records).toHaveLength(1)
  })

  it('rejects malformed XML', () => {
    expect(() => rewriteEggXml('<a><b></a>', [r('a', '1')])).toThrow(MalformedConfigFileError)
    expect(() => rewriteEggXml('not xml', [r('a', '1')])).toThrow(MalformedConfigFileError)
  })
})
