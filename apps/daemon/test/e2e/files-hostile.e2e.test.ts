import { once } from 'node:events'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import path from 'node:path'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { sampleFixture } from '@node/panel-sim'

import { headerValues, rawResponseHead } from '../files/raw-http.js'
import { startTestNode, type TestNode } from './support/test-node.js'

// Hostile input on the file endpoints, against the daemon process: the harness fails any test
// whose daemon logged an unhandled error or exited, so a crash cannot pass unnoticed.

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const MULTIPART = 'Failed to get multipart form data from request.'
const BOUNDARY = 'hostileboundary'
let node: TestNode
let root: string

beforeAll(async () => {
  node = await startTestNode({ fixture: sampleFixture({ environment: 'process' }) })
  root = path.join(node.dataDirectory, SERVER)
  // Tokens issued in the daemon's boot second are refused (the boot-time deny rule).
  await new Promise((resolve) => setTimeout(resolve, 1100))
}, 60_000)

afterAll(async () => {
  await node?.[Symbol.asyncDispose]()
})

afterEach(() => {
  node.daemon.assertNoCrash()
})

/** Every name below the server root, for "nothing was left behind" assertions. */
async function tree(): Promise<string[]> {
  const entries = await readdir(root, { recursive: true })
  return entries.map(String).sort()
}

function partHead(filename: string): string {
  return (
    `--${BOUNDARY}\r\n` +
    `Content-Disposition: form-data; name="files"; filename="${filename}"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n'
  )
}

/** POSTs `body` (all of it, with its length) to a fresh upload URL; resolves with status and body. */
function postUpload(body: Buffer, directory = '/'): Promise<{ status: number; body: string }> {
  const url = new URL(
    `${node.sim.tokens.fileUpload({ server: SERVER }).url}&directory=${directory}`,
  )
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
        'Content-Length': String(body.length),
      },
    })
    req.on('error', reject)
    req.on('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      res.on('error', reject)
    })
    req.end(body)
  })
}

/** The daemon's open descriptors, sampled until `work` settles; resolves with the highest count. */
async function peakDescriptors(work: Promise<unknown>): Promise<number> {
  const fds = `/proc/${node.daemon.child.pid}/fd`
  let settled = false
  void work.finally(() => (settled = true)).catch(() => undefined)
  let peak = 0
  while (!settled) {
    peak = Math.max(peak, (await readdir(fds)).length)
    await new Promise((resolve) => setImmediate(resolve))
  }
  return peak
}

describe('requests naming many files', () => {
  it('deletes 10 000 names a few at a time, never holding a descriptor per name', async () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `many/f${i}`)
    await mkdir(path.join(root, 'many'))
    await Promise.all(names.map((name) => writeFile(path.join(root, name), 'x')))
    const idle = (await readdir(`/proc/${node.daemon.child.pid}/fd`)).length

    const deleted = node.request('POST', `/api/servers/${SERVER}/files/delete`, {
      body: JSON.stringify({ root: '/', files: names }),
    })
    const peak = await peakDescriptors(deleted)

    expect((await deleted).status).toBe(204)
    expect(await readdir(path.join(root, 'many'))).toEqual([])
    expect(peak - idle).toBeLessThan(200)
  })
})

describe('file names in download headers', () => {
  const NAME = 'x\u010D\u010ASet-Cookie: session=stolen \u{1F600}.txt'

  it.each([
    [
      '/download/file',
      () => node.sim.tokens.fileDownload({ server: SERVER, file: encodeURIComponent(NAME) }).url,
      false,
    ],
    [
      'files/contents?download=1',
      () =>
        `${node.daemon.url}/api/servers/${SERVER}/files/contents?file=${encodeURIComponent(NAME)}&download=1`,
      true,
    ],
  ] as const)('%s never splits the response head', async (_route, url, bearer) => {
    await writeFile(path.join(root, NAME), 'content')

    const head = await rawResponseHead(
      url(),
      bearer ? { Authorization: `Bearer ${node.token}` } : {},
    )

    expect(head.statusLine).toBe('HTTP/1.1 200 OK')
    expect(
      [...head.bytes].every(
        (byte) => byte === 0x0d || byte === 0x0a || (byte >= 0x20 && byte < 0x7f),
      ),
    ).toBe(true)
    expect(headerValues(head, 'set-cookie')).toEqual([])
    expect(headerValues(head, 'content-disposition')).toEqual([
      'attachment; filename="x__Set-Cookie: session=stolen _.txt"; filename*=UTF-8\'\'x%C4%8D%C4%8ASet-Cookie%3A%20session%3Dstolen%20%F0%9F%98%80.txt',
    ])
  })
})

describe('uploads cut short', () => {
  it('answers a file part that never reaches its closing boundary with the 400, keeping the daemon up', async () => {
    const before = await tree()
    const body = Buffer.concat([
      Buffer.from(partHead('cut.bin')),
      Buffer.alloc(200 * 1024, 7),
      Buffer.from('\r\n--hostilebound'),
    ])

    const res = await postUpload(body)

    expect(res.status).toBe(400)
    expect(JSON.parse(res.body)).toEqual({ error: MULTIPART })
    expect(await tree()).toEqual(before)
    node.daemon.assertNoCrash()
    expect((await node.request('GET', '/api/system')).status).toBe(200)
  })

  it('leaves nothing behind when the client goes away in the middle of a file', async () => {
    const before = await tree()
    const url = new URL(`${node.sim.tokens.fileUpload({ server: SERVER }).url}&directory=/`)
    const req = request(url, {
      method: 'POST',
      headers: {
        'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
        'Content-Length': String(64 * 1024 * 1024),
      },
    })
    req.on('error', () => undefined)
    req.write(partHead('aborted.bin'))
    // Enough bytes that the daemon has opened its temporary file and written some of them.
    for (let i = 0; i < 16; i++) {
      if (!req.write(Buffer.alloc(256 * 1024, 1))) await once(req, 'drain')
    }
    await expect
      .poll(async () => (await tree()).some((name) => name.startsWith('.jail-')))
      .toBe(true)

    req.destroy()

    await expect.poll(tree, { timeout: 10_000 }).toEqual(before)
    node.daemon.assertNoCrash()
    expect((await node.request('GET', '/api/system')).status).toBe(200)
  })

  it('leaves nothing behind a raw file write the client cuts off', async () => {
    const before = await tree()
    const url = new URL(`${node.daemon.url}/api/servers/${SERVER}/files/write?file=cut.txt`)
    const req = request(url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${node.token}`,
        'Content-Length': String(64 * 1024 * 1024),
      },
    })
    req.on('error', () => undefined)
    for (let i = 0; i < 16; i++) {
      if (!req.write(Buffer.alloc(256 * 1024, 2))) await once(req, 'drain')
    }
    await expect
      .poll(async () => (await tree()).some((name) => name.startsWith('.jail-')))
      .toBe(true)

    req.destroy()

    await expect.poll(tree, { timeout: 10_000 }).toEqual(before)
  })
})

// Last: it restarts the daemon with another configuration.
describe('the disk reserve of the node', () => {
  it('refuses a write that would leave less than system.disk_reserve free on the volume', async () => {
    const config = parse(await readFile(node.configPath, 'utf8')) as {
      system: Record<string, unknown>
    }
    // 1 PiB, in MiB: more than this volume has free.
    config.system['disk_reserve'] = 2 ** 30
    await writeFile(node.configPath, stringify(config), { mode: 0o600 })
    await node.restart()
    const before = await tree()

    const res = await node.request('POST', `/api/servers/${SERVER}/files/write?file=reserved.txt`, {
      body: 'x',
    })

    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe(
      'There is not enough disk space available to perform that action.',
    )
    expect(await tree()).toEqual(before)
  })
})
