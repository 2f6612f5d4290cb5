import { execFile } from 'node:child_process'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleFixture } from '@node/panel-sim'
import { createTempDir, type TempDir } from '@node/testkit'

import { logrotateConfig } from '../../src/logging/logrotate.js'
import { startTestNode, type TestNode } from './support/test-node.js'

// Debian's logrotate, on the file the daemon writes at boot, rotates the real daemon's wings.log;
// the daemon, sent SIGHUP by the postrotate step, writes on into a new wings.log.

const run = promisify(execFile)
const LOGROTATE = '/usr/sbin/logrotate'
let node: TestNode
let work: TempDir
let logDirectory: string

beforeAll(async () => {
  node = await startTestNode({
    fixture: sampleFixture({ environment: 'process' }),
    config: { debug: true },
  })
  work = await createTempDir('logrotate-')
  const config = (await readFile(node.configPath, 'utf8')).match(/log_directory: (.+)/)?.[1]
  logDirectory = config?.trim() ?? ''
}, 60_000)

afterAll(async () => {
  await node?.[Symbol.asyncDispose]()
  await work?.[Symbol.asyncDispose]()
})

/** A request the daemon logs at debug level, with a path that names it. */
async function logLine(marker: string): Promise<void> {
  const res = await node.request('GET', `/api/servers/${marker}`)
  await res.arrayBuffer()
}

async function waitForLine(file: string, marker: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = await readFile(file, 'utf8').catch(() => '')
    if (text.includes(marker)) return text
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${marker} never reached ${file}`)
}

describe('log rotation', () => {
  it('keeps writing into a new wings.log after logrotate moved the old one away', async () => {
    const pid = node.daemon.child.pid ?? 0
    // The reference's file, but HUP goes to this daemon's pid instead of systemd's wings.service.
    const conf = logrotateConfig(logDirectory).replace(
      /\/usr\/bin\/systemctl kill -s HUP wings\.service/,
      `/bin/kill -HUP ${pid}`,
    )
    const included = path.join(work.path, 'logrotate.d')
    await mkdir(included)
    await writeFile(path.join(included, 'wings'), `${conf}\n`, { mode: 0o644 })
    // The defaults of Debian's /etc/logrotate.conf, which includes /etc/logrotate.d.
    const confFile = path.join(work.path, 'logrotate.conf')
    await writeFile(confFile, `weekly\nrotate 4\ncreate\ninclude ${included}\n`, { mode: 0o644 })
    const wingsLog = path.join(logDirectory, 'wings.log')
    await logLine('before-rotation')
    await waitForLine(wingsLog, 'before-rotation')

    await run(LOGROTATE, ['--force', '--state', path.join(work.path, 'state'), confFile])
    await logLine('after-rotation')

    const current = await waitForLine(wingsLog, 'after-rotation')
    expect(current).not.toContain('before-rotation')
    const rotated = (await readdir(logDirectory)).filter((f) => /^wings\.log-\d{8}/.test(f))
    expect(rotated).toHaveLength(1)
    const old = await readFile(path.join(logDirectory, rotated[0] ?? ''), 'utf8')
    expect(old).toContain('before-rotation')
    expect(old).not.toContain('after-rotation')
    node.daemon.assertNoCrash()
  })
})
