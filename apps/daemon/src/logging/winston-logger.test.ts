import { mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { readLastLines } from './read-last-lines.js'
import { createWinstonLogger, prepareLogDirectory, type DaemonLogger } from './winston-logger.js'

let dir: string
let loggers: DaemonLogger[]

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'daemon-log-'))
  loggers = []
})

afterEach(async () => {
  await Promise.all(loggers.map((l) => l.close().catch(() => undefined)))
  await rm(dir, { recursive: true, force: true })
})

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (chunk: Buffer) => chunks.push(chunk))
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') }
}

function make(options: Parameters<typeof createWinstonLogger>[0]): DaemonLogger {
  const logger = createWinstonLogger(options)
  loggers.push(logger)
  return logger
}

async function fileLines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8')
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

describe('createWinstonLogger', () => {
  it('writes JSON lines with fields to <log_directory>/wings.log, mode 0600', async () => {
    const logger = make({ debug: false, logDirectory: dir, console: false })

    logger.child({ server_id: 'abc' }).info('starting server', { action: 'start' })
    await logger.close()

    expect(logger.logFile).toBe(path.join(dir, 'wings.log'))
    const [line] = await fileLines(path.join(dir, 'wings.log'))
    expect(line).toMatchObject({
      level: 'info',
      message: 'starting server',
      server_id: 'abc',
      action: 'start',
    })
    expect(typeof line?.['time']).toBe('string')
    expect((await stat(path.join(dir, 'wings.log'))).mode & 0o777).toBe(0o600)
  })

  it('never throws for a line logged after close (work still ending at shutdown)', async () => {
    const logger = make({
      debug: false,
      logDirectory: dir,
      console: false,
      secrets: ['node-secret-token-value'],
    })
    await logger.close()
    const written: string[] = []
    const write = process.stderr.write.bind(process.stderr)
    process.stderr.write = (chunk: string) => {
      written.push(chunk)
      return true
    }
    try {
      logger.child({ server_id: 'abc' }).error('late failure with node-secret-token-value')
    } finally {
      process.stderr.write = write
    }

    expect(written).toHaveLength(1)
    expect(written[0]).toMatch(/^error: late failure with .* \(after log close\)\n$/)
    expect(written[0]).not.toContain('node-secret-token-value')
  })

  it('writes human-readable lines to the console, coloured only when asked', async () => {
    const plain = capture()
    const coloured = capture()
    const a = make({ debug: false, console: plain.stream })
    const b = make({ debug: false, console: coloured.stream, colors: true })

    a.warn('disk almost full', { server_id: 'abc', free: 'ten percent' })
    b.warn('disk almost full')
    await a.close()
    await b.close()

    expect(plain.text()).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {2}WARN disk almost full {2}server_id=abc {2}free="ten percent"\n$/,
    )
    expect(plain.text()).not.toContain('\x1b[')
    expect(coloured.text()).toContain('\x1b[33m')
  })

  it('drops debug lines unless debug is on, and follows setDebug', async () => {
    const out = capture()
    const logger = make({ debug: false, console: out.stream })

    logger.debug('hidden')
    logger.setDebug(true)
    logger.debug('shown')
    await logger.close()

    expect(out.text()).not.toContain('hidden')
    expect(out.text()).toContain('DEBUG shown')
  })

  it('masks secrets in messages and fields, in both outputs', async () => {
    const out = capture()
    const logger = make({
      debug: true,
      logDirectory: dir,
      console: out.stream,
      secrets: ['node-secret-token-value'],
    })

    logger.info('calling https://user:pass@panel.example.com/api?token=abc with Bearer abc.def', {
      authorization: 'Bearer abc.def',
      token: 'xyz',
      url: 'https://bucket.s3.example.com/key?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA',
      headers: { Authorization: 'Bearer q', 'X-Other': 'ok' },
      note: 'the token is node-secret-token-value',
      err: new Error('failed: GET /download/file?token=eyJhbGciOi.eyJzdWIiOiIx.c2ln'),
    })
    await logger.close()

    const all = out.text() + (await readFile(path.join(dir, 'wings.log'), 'utf8'))
    for (const secret of [
      'user:pass',
      'token=abc',
      'abc.def',
      'xyz',
      'deadbeef',
      'AKIA',
      'Bearer q',
      'node-secret-token-value',
      'eyJhbGciOi',
    ]) {
      expect(all).not.toContain(secret)
    }
    const [line] = await fileLines(path.join(dir, 'wings.log'))
    expect(line).toMatchObject({
      message: 'calling https://[redacted]@panel.example.com/api?[redacted] with Bearer [redacted]',
      authorization: '[redacted]',
      token: '[redacted]',
      url: 'https://bucket.s3.example.com/key?[redacted]',
      headers: { Authorization: '[redacted]', 'X-Other': 'ok' },
      note: 'the token is [redacted]',
      err: { name: 'Error', message: 'failed: GET /download/file?token=[redacted]' },
    })
  })

  it('keeps fields named like winston properties under another name', async () => {
    const logger = make({ debug: false, logDirectory: dir, console: false })

    logger.info('event', { level: 'custom', message: 'field' })
    await logger.close()

    const [line] = await fileLines(path.join(dir, 'wings.log'))
    expect(line).toMatchObject({
      level: 'info',
      message: 'event',
      field_level: 'custom',
      field_message: 'field',
    })
  })

  it('reopens the log file after it was moved away', async () => {
    const logger = make({ debug: false, logDirectory: dir, console: false })
    const file = path.join(dir, 'wings.log')
    logger.info('before rotation')
    await expect.poll(() => readFile(file, 'utf8')).toContain('before rotation')
    await rename(file, `${file}.1`)

    await logger.reopen()
    logger.info('after rotation')
    await logger.close()

    expect((await fileLines(`${file}.1`)).map((l) => l['message'])).toEqual(['before rotation'])
    expect((await fileLines(file)).map((l) => l['message'])).toEqual(['after rotation'])
  })

  it('makes the log and install directories with prepareLogDirectory', async () => {
    const logs = path.join(dir, 'var', 'log')

    await prepareLogDirectory(logs)

    expect((await stat(path.join(logs, 'install'))).isDirectory()).toBe(true)
    expect((await stat(path.join(logs, 'install'))).mode & 0o777).toBe(0o700)
  })
})

describe('readLastLines', () => {
  it('returns the last lines of the log file', async () => {
    const logger = make({ debug: false, logDirectory: dir, console: false })
    for (let i = 0; i < 500; i++) logger.info(`line ${i}`)
    await logger.close()

    const lines = await readLastLines(path.join(dir, 'wings.log'), 3)

    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual([
      'line 497',
      'line 498',
      'line 499',
    ])
  })
})
