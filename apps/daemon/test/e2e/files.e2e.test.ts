import { randomBytes } from 'node:crypto'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleFixture } from '@node/panel-sim'

import { startTestNode, type TestNode } from './support/test-node.js'

// Issue 5 through the daemon process: the Panel's file manager flows over real HTTP, with
// download and upload tokens minted by panel-sim as the Panel mints them.

const SERVER = 'd3aac109-e5e0-4331-b03e-3454f7e136dc'
const files = `/api/servers/${SERVER}/files`
let node: TestNode

beforeAll(async () => {
  node = await startTestNode({ fixture: sampleFixture({ environment: 'process' }) })
  // Tokens issued in the daemon's boot second are refused (the boot-time deny rule).
  await new Promise((resolve) => setTimeout(resolve, 1100))
}, 60_000)

afterAll(async () => {
  await node?.[Symbol.asyncDispose]()
})

async function call(method: string, route: string, body?: unknown): Promise<Response> {
  return node.request(method, route, body === undefined ? {} : { body: JSON.stringify(body) })
}

describe('file manager through the daemon', () => {
  it('writes a file from the raw body and reads it back', async () => {
    const write = await node.request(
      'POST',
      `${files}/write?file=${encodeURIComponent('/docs/hello.txt')}`,
      {
        body: 'hello <world>\n',
        headers: { 'Content-Type': 'application/json' },
      },
    )
    expect(write.status).toBe(204)

    const read = await call('GET', `${files}/contents?file=${encodeURIComponent('docs/hello.txt')}`)
    expect(read.status).toBe(200)
    expect(await read.text()).toBe('hello <world>\n')
  })

  it('lists a directory in the Panel form', async () => {
    const res = await call('GET', `${files}/list-directory?directory=%2Fdocs`)
    const entries = (await res.json()) as Record<string, unknown>[]

    expect(res.status).toBe(200)
    expect(entries).toHaveLength(1)
    expect(Object.keys(entries[0]!)).toEqual([
      'name',
      'created',
      'modified',
      'mode',
      'mode_bits',
      'size',
      'directory',
      'file',
      'symlink',
      'mime',
    ])
    expect(entries[0]).toMatchObject({ name: 'hello.txt', size: 14, file: true, directory: false })
  })

  it('uploads with a one-time token and downloads the same bytes', async () => {
    const bytes = randomBytes(1024 * 1024 + 17)
    const upload = node.sim.tokens.fileUpload({ server: SERVER })
    const form = new FormData()
    form.append('files', new Blob([bytes]), 'blob.bin')

    const up = await fetch(`${upload.url}&directory=/up`, { method: 'POST', body: form })
    expect(up.status).toBe(200)
    const replay = await fetch(`${upload.url}&directory=/up`, { method: 'POST', body: form })
    expect(replay.status).toBe(404)

    const download = node.sim.tokens.fileDownload({ server: SERVER, file: '/up/blob.bin' })
    const down = await fetch(download.url)
    expect(down.status).toBe(200)
    expect(Buffer.from(await down.arrayBuffer()).equals(bytes)).toBe(true)
  })

  it('compresses, deletes and decompresses back to the same content', async () => {
    const compressed = await call('POST', `${files}/compress`, { root: '/', files: ['docs'] })
    expect(compressed.status).toBe(200)
    const archive = ((await compressed.json()) as { name: string }).name
    expect(archive).toMatch(/^archive-.*\.tar\.gz$/)

    expect((await call('POST', `${files}/delete`, { root: '/', files: ['docs'] })).status).toBe(204)
    expect((await call('POST', `${files}/decompress`, { root: '/', file: archive })).status).toBe(
      204,
    )

    const read = await call('GET', `${files}/contents?file=docs%2Fhello.txt`)
    expect(await read.text()).toBe('hello <world>\n')
  })

  it('refuses to read or write outside the server root', async () => {
    const escape = await call(
      'GET',
      `${files}/contents?file=${encodeURIComponent('../../../etc/passwd')}`,
    )
    const body = await escape.text()

    expect(escape.status).toBeGreaterThanOrEqual(400)
    expect(body).not.toContain('root:x:0:0')
  })

  it('refuses a remote pull from a loopback address and writes nothing', async () => {
    const res = await call('POST', `${files}/pull`, {
      url: 'http://127.0.0.1:1/x',
      root: '/',
      file_name: 'pulled.bin',
      foreground: true,
    })
    const after = await call('GET', `${files}/contents?file=pulled.bin`)

    expect(res.ok).toBe(false)
    expect(after.status).toBe(404)
  })
})
