import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

import {
  escapeHtml,
  installLogHeader,
  installLogTrailer,
  readInstallLogOutput,
} from './install-log.js'

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

describe('readInstallLogOutput', () => {
  const header = installLogHeader({ uuid: 'u-1', image: 'img', entrypoint: 'ash', variables: [] })

  it('returns what follows the Script Output header, trailer included', async () => {
    await using dir = await tempDir()
    const file = path.join(dir.path, 'u-1.log')
    await writeFile(file, `${header}line one\nline two\n${installLogTrailer(exit0)}`)

    const output = await readInstallLogOutput(file, 1024 * 1024)

    expect(output).toBe(`line one\nline two\n${installLogTrailer(exit0)}`)
  })

  it('returns the whole file when the header is missing', async () => {
    await using dir = await tempDir()
    const file = path.join(dir.path, 'u-1.log')
    await writeFile(file, 'no header here\n')

    expect(await readInstallLogOutput(file, 1024)).toBe('no header here\n')
  })

  it('returns the last whole lines of a log larger than the limit', async () => {
    await using dir = await tempDir()
    const file = path.join(dir.path, 'u-1.log')
    const lines = Array.from({ length: 1000 }, (_, i) => `output line ${i}`)
    await writeFile(file, `${header}${lines.join('\n')}\n`)

    const output = (await readInstallLogOutput(file, 200)) ?? ''

    expect(Buffer.byteLength(output)).toBeLessThanOrEqual(200)
    expect(output.endsWith('output line 999\n')).toBe(true)
    expect(output.split('\n')[0]).toMatch(/^output line \d+$/)
  })

  it('resolves undefined when there is no log', async () => {
    await using dir = await tempDir()

    expect(await readInstallLogOutput(path.join(dir.path, 'none.log'), 1024)).toBeUndefined()
  })
})

const exit0 = { exitCode: 0, oomKilled: false }

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const dir = await mkdtemp(path.join(tmpdir(), 'install-log-'))
  return { path: dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) }
}
