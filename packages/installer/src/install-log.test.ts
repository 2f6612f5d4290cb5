import { describe, expect, it } from 'vitest'

import { escapeHtml, installLogHeader, installLogTrailer } from './install-log.js'

describe('installLogHeader', () => {
  it('writes the reference header with one line per variable', () => {
    const header = installLogHeader({
      uuid: 'u-1',
      image: 'ghcr.io/eggs/installer:debian',
      entrypoint: 'bash',
      variables: [
        { name: 'TZ', value: 'UTC' },
        { name: 'STARTUP', value: 'java -jar server.jar' },
      ],
    })

    expect(header).toBe(
      'Pterodactyl Server Installation Log\n\n|\n| Details\n| ------------------------------\n' +
        '  Server UUID:          u-1\n' +
        '  Container Image:      ghcr.io/eggs/installer:debian\n' +
        '  Container Entrypoint: bash\n\n' +
        '|\n| Environment Variables\n| ------------------------------\n' +
        '  TZ=UTC\n  STARTUP=java -jar server.jar\n\n' +
        '|\n| Script Output\n| ------------------------------\n',
    )
  })
})

describe('escapeHtml', () => {
  it('escapes as Go html/template does', () => {
    expect(escapeHtml(`a&b<c>"d'e+f`)).toBe('a&amp;b&lt;c&gt;&#34;d&#39;e&#43;f')
  })
})

describe('installLogTrailer', () => {
  it('records the exit code, and an out-of-memory kill', () => {
    expect(installLogTrailer({ exitCode: 0, oomKilled: false })).toBe(
      '\n|\n| Script Exit Code\n| ------------------------------\n  0\n',
    )
    expect(installLogTrailer({ exitCode: 137, oomKilled: true })).toContain(
      '  137 (killed: out of memory)\n',
    )
  })
})
