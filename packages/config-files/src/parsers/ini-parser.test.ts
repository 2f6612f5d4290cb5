import type { ConfigReplacement } from '@node/server-state'
import { MemoryLogger } from '@node/shared-kernel/testing'
import { describe, expect, it } from 'vitest'
import { rewriteEggIni } from '../rewrite-config-file.js'
import { splitMatch } from './ini-parser.js'

function r(match: string, replaceWith: unknown, ifValue?: string): ConfigReplacement {
  return { match, replaceWith, ifValue }
}

// ARK: Survival Evolved GameUserSettings.ini (shortened).
const GAME_USER_SETTINGS = `[ServerSettings]
; set by the egg
RCONEnabled=True
RCONPort=27020
ServerAdminPassword=changeme
ServerPassword=

[SessionSettings]
SessionName=ARK #1
Port=7777
QueryPort=27015

[/Script/Engine.GameSession]
MaxPlayers=70
`

describe('ini parser', () => {
  it('sets keys in their sections, brackets guarding dots in a section name', () => {
    const out = rewriteEggIni(GAME_USER_SETTINGS, [
      r('SessionSettings.SessionName', 'My ARK'),
      r('SessionSettings.Port', '7780'),
      r('SessionSettings.QueryPort', 27016),
      r('ServerSettings.RCONPort', '27021'),
      r('[/Script/Engine.GameSession].MaxPlayers', '20'),
    ])
    expect(out).toBe(
      GAME_USER_SETTINGS.replace('SessionName=ARK #1', 'SessionName=My ARK')
        .replace('Port=7777', 'Port=7780')
        .replace('QueryPort=27015', 'QueryPort=27016')
        .replace('RCONPort=27020', 'RCONPort=27021')
        .replace('MaxPlayers=70', 'MaxPlayers=20'),
    )
  })

  it('creates missing keys after their section keys, and missing sections at the end', () => {
    const out = rewriteEggIni(GAME_USER_SETTINGS, [
      r('ServerSettings.AllowFlyerCarryPvE', 'True'),
      r('MessageOfTheDay.Message', 'Welcome'),
      r('toplevel', 'x'),
    ])
    expect(out).toBe(
      'toplevel=x\n' +
        GAME_USER_SETTINGS.replace(
          'ServerPassword=\n',
          'ServerPassword=\nAllowFlyerCarryPvE=True\n',
        ) +
        '\n[MessageOfTheDay]\nMessage=Welcome\n',
    )
  })

  it('keeps the spacing of each line and uses `key = value` in a file without keys', () => {
    expect(
      rewriteEggIni('# c\n[a]\nx = 1\ny=2\n', [r('a.x', '3'), r('a.y', '4'), r('a.z', '5')]),
    ).toBe('# c\n[a]\nx = 3\ny=4\nz = 5\n')
    expect(rewriteEggIni('', [r('server.port', '1'), r('name', 'n')])).toBe(
      'name = n\n[server]\nport = 1\n',
    )
  })

  it('ignores if_value and keeps keys of the default section before the first header', () => {
    const out = rewriteEggIni('port=1\n\n[s]\nk=v\n', [r('port', '2', 'other'), r('added', '3')])
    expect(out).toBe('port=2\nadded=3\n\n[s]\nk=v\n')
  })

  it('keeps lines it cannot read and CRLF endings', () => {
    const out = rewriteEggIni('[s]\r\njust a line\r\nk=v\r\n', [r('s.k', 'w')])
    expect(out).toBe('[s]\r\njust a line\r\nk=w\r\n')
  })

  it('refuses values with line breaks, which would inject keys', () => {
    const logger = new MemoryLogger()
    expect(rewriteEggIni('[s]\nk=v\n', [r('s.k', 'x\n[admin]\npass=1')], { logger })).toBe(
      '[s]\nk=v\n',
    )
    expect(logger.records[0]?.level).toBe('warn')
  })
})

describe('splitMatch', () => {
  it('splits at the first dot outside brackets', () => {
    expect(splitMatch('a.b')).toEqual({ section: 'a', key: 'b' })
    expect(splitMatch('a.b.c')).toEqual({ section: 'a', key: 'b.c' })
    expect(splitMatch('[x.y].z')).toEqual({ section: 'x.y', key: 'z' })
    expect(splitMatch('key')).toEqual({ section: 'DEFAULT', key: 'key' })
  })
})
