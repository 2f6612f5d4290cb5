import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { link, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { compressFiles, decompressArchive, VolumeReserve } from '@node/filesystem-jail'

import { tarGz } from './archive-fixtures.js'
import { FilesHarness, NODE_TOKEN, SERVER_UUID, snapshot } from './harness.js'
import { headerValues, rawResponseHead } from './raw-http.js'

// Every attack runs against a root holding real files and a sibling `outside` directory with a
// secret; afterwards neither tree may have changed (nothing read, written or deleted outside,
// nothing lost inside), and the secret never appears in a response.
const SECRET = 'TOP-SECRET-OUTSIDE'
const run = promisify(execFile)

async function seed(h: FilesHarness): Promise<void> {
  await writeFile(path.join(h.outside, 'secret'), SECRET)
  await mkdir(path.join(h.outside, 'dir'))
  await writeFile(path.join(h.outside, 'dir/inner'), SECRET)
  await writeFile(path.join(h.root, 'keep.txt'), 'keep me')
  await mkdir(path.join(h.root, 'data'))
  await writeFile(path.join(h.root, 'data/world.dat'), 'world')
  await symlink('../outside', path.join(h.root, 'escape'))
  await symlink(path.join(h.outside, 'secret'), path.join(h.root, 'secret-link'))
  await link(path.join(h.outside, 'secret'), path.join(h.root, 'hard'))
}

type Attack = readonly [name: string, run: (h: FilesHarness) => Promise<Response>]

const json = (h: FilesHarness, method: string, route: string, body: unknown) =>
  h.call(method, route, body)

const ATTACKS: readonly Attack[] = [
  ['contents ../', (h) => h.call('GET', '/files/contents?file=../outside/secret')],
  ['contents encoded ../', (h) => h.call('GET', '/files/contents?file=%2e%2e%2foutside%2fsecret')],
  ['contents via dir symlink', (h) => h.call('GET', '/files/contents?file=escape/secret')],
  ['contents of a file symlink', (h) => h.call('GET', '/files/contents?file=secret-link')],
  ['contents of a hard link', (h) => h.call('GET', '/files/contents?file=hard')],
  ['list ../', (h) => h.call('GET', '/files/list-directory?directory=../outside')],
  ['list via symlink', (h) => h.call('GET', '/files/list-directory?directory=escape')],
  ['list paged via symlink', (h) => h.call('GET', '/files/list-directory?directory=escape&page=1')],
  ['write ../', (h) => h.call('POST', '/files/write?file=../outside/pwn', 'x')],
  ['write via symlink', (h) => h.call('POST', '/files/write?file=escape/pwn', 'x')],
  ['write over a file symlink', (h) => h.call('POST', '/files/write?file=secret-link', 'x')],
  ['write over a hard link', (h) => h.call('POST', '/files/write?file=hard', 'x')],
  [
    'rename out via symlink',
    (h) =>
      json(h, 'PUT', '/files/rename', {
        root: '/',
        files: [{ from: 'keep.txt', to: 'escape/k' }],
      }),
  ],
  [
    'rename in from outside',
    (h) =>
      json(h, 'PUT', '/files/rename', {
        root: '/',
        files: [{ from: 'escape/secret', to: 'stolen' }],
      }),
  ],
  [
    'rename through root ../',
    (h) =>
      json(h, 'PUT', '/files/rename', { root: '../outside', files: [{ from: 'secret', to: 'x' }] }),
  ],
  ['copy outside', (h) => json(h, 'POST', '/files/copy', { location: 'escape/secret' })],
  ['copy a file symlink', (h) => json(h, 'POST', '/files/copy', { location: 'secret-link' })],
  ['copy a hard link', (h) => json(h, 'POST', '/files/copy', { location: 'hard' })],
  [
    'mkdir ../',
    (h) => json(h, 'POST', '/files/create-directory', { name: 'x', path: '../outside' }),
  ],
  [
    'mkdir via symlink',
    (h) => json(h, 'POST', '/files/create-directory', { name: 'x', path: 'escape' }),
  ],
  [
    'delete ../',
    (h) => json(h, 'POST', '/files/delete', { root: '/', files: ['../outside/secret'] }),
  ],
  [
    'delete via symlink',
    (h) => json(h, 'POST', '/files/delete', { root: 'escape', files: ['secret'] }),
  ],
  ['delete the root', (h) => json(h, 'POST', '/files/delete', { root: '/', files: ['/', '..'] })],
  [
    'chmod via symlink',
    (h) =>
      json(h, 'POST', '/files/chmod', {
        root: '/',
        files: [{ file: 'escape/secret', mode: '777' }],
      }),
  ],
  [
    'chmod a file symlink',
    (h) =>
      json(h, 'POST', '/files/chmod', { root: '/', files: [{ file: 'secret-link', mode: '777' }] }),
  ],
  [
    'chmod a hard link',
    (h) => json(h, 'POST', '/files/chmod', { root: '/', files: [{ file: 'hard', mode: '777' }] }),
  ],
  [
    'download ../',
    (h) =>
      fetch(
        `${h.base}/download/file?token=${h.mint('file-download', { file_path: '../outside/secret' })}`,
      ),
  ],
  [
    'download via symlink',
    (h) =>
      fetch(
        `${h.base}/download/file?token=${h.mint('file-download', { file_path: 'escape/secret' })}`,
      ),
  ],
  [
    'download a hard link',
    (h) => fetch(`${h.base}/download/file?token=${h.mint('file-download', { file_path: 'hard' })}`),
  ],
  ['upload into ../', (h) => upload(h, '../outside', 'pwn')],
  ['upload via symlink', (h) => upload(h, 'escape', 'pwn')],
  ['upload with a ../ file name', (h) => upload(h, '/', '../../outside/pwn')],
  ['upload over a file symlink', (h) => upload(h, '/', 'secret-link')],
  [
    'pull into a symlinked directory',
    (h) =>
      json(h, 'POST', '/files/pull', {
        url: 'http://127.0.0.1:9/x',
        root: 'escape',
        foreground: true,
      }),
  ],
]

function upload(h: FilesHarness, directory: string, filename: string): Promise<Response> {
  const form = new FormData()
  form.append('files', new Blob(['pwned']), filename)
  return fetch(
    `${h.base}/upload/file?token=${h.mint('file-upload')}&directory=${encodeURIComponent(directory)}`,
    { method: 'POST', body: form },
  )
}

describe('path attacks on every endpoint', () => {
  let h: FilesHarness

  beforeAll(async () => {
    h = await FilesHarness.start()
    await seed(h)
  })

  afterAll(async () => {
    await h.close()
  })

  it.each(ATTACKS)(
    '%s: nothing outside read, written or deleted; nothing inside lost',
    async (_name, run) => {
      const outsideBefore = await snapshot(h.outside)
      const rootBefore = await snapshot(h.root)

      const res = await run(h)
      const body = await res.text()

      expect(body).not.toContain(SECRET)
      expect(await snapshot(h.outside)).toEqual(outsideBefore)
      const rootAfter = await snapshot(h.root)
      // Only harmless additions inside the root are allowed (e.g. a replaced link, never a loss).
      for (const [key, value] of Object.entries(rootBefore)) {
        if (key === 'secret-link' || key === 'hard') continue
        expect(rootAfter[key], key).toBe(value)
      }
      expect(await readFile(path.join(h.outside, 'secret'), 'utf8')).toBe(SECRET)
    },
  )
})

describe('.. that climbs out of the root is refused, never clamped', () => {
  let h: FilesHarness
  let origin: HttpServer
  let originUrl: string

  beforeAll(async () => {
    origin = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': '6' })
      res.end('pulled')
    })
    origin.listen(0, '127.0.0.1')
    await once(origin, 'listening')
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/pulled.txt`
  })

  afterAll(async () => {
    origin.closeAllConnections()
    origin.close()
    await once(origin, 'close')
  })

  beforeEach(async () => {
    h = await FilesHarness.start({
      archives: { compress: compressFiles, decompress: decompressArchive },
      allowInternalDownloads: true,
    })
    await seed(h)
    await writeFile(path.join(h.root, 'data/pack.tar.gz'), tarGz([{ name: 'x', data: 'x' }]))
  })

  afterEach(async () => {
    await h.close()
  })

  const CLIMBS: readonly Attack[] = [
    [
      'rename to ../../moved',
      (h) =>
        json(h, 'PUT', '/files/rename', {
          root: '/',
          files: [{ from: 'keep.txt', to: '../../moved' }],
        }),
    ],
    [
      'rename from ../keep.txt',
      (h) =>
        json(h, 'PUT', '/files/rename', {
          root: '/',
          files: [{ from: '../keep.txt', to: 'moved' }],
        }),
    ],
    [
      'rename out of a subdirectory',
      (h) =>
        json(h, 'PUT', '/files/rename', {
          root: '/data',
          files: [{ from: 'world.dat', to: '../../../outside/k' }],
        }),
    ],
    [
      'rename with a climbing root',
      (h) =>
        json(h, 'PUT', '/files/rename', { root: '../..', files: [{ from: 'keep.txt', to: 'k' }] }),
    ],
    [
      'create-directory with a climbing name',
      (h) => json(h, 'POST', '/files/create-directory', { name: '../../made', path: '/' }),
    ],
    [
      'create-directory with a climbing path',
      (h) => json(h, 'POST', '/files/create-directory', { name: 'made', path: '../data' }),
    ],
    [
      'delete ../../keep.txt from a subdirectory',
      (h) => json(h, 'POST', '/files/delete', { root: '/data', files: ['../../keep.txt'] }),
    ],
    [
      'chmod ../keep.txt',
      (h) =>
        json(h, 'POST', '/files/chmod', {
          root: '/',
          files: [{ file: '../keep.txt', mode: '600' }],
        }),
    ],
    [
      'compress ../keep.txt',
      (h) => json(h, 'POST', '/files/compress', { root: '/', files: ['../keep.txt'] }),
    ],
    [
      'compress with a climbing root',
      (h) => json(h, 'POST', '/files/compress', { root: '../', files: ['keep.txt'] }),
    ],
    [
      'decompress with a climbing root',
      (h) => json(h, 'POST', '/files/decompress', { root: '../..', file: 'data/pack.tar.gz' }),
    ],
    ['upload into ../../up', (h) => upload(h, '../../up', 'pwn')],
    ['upload a file named ..', (h) => upload(h, '/new/dir', '..')],
    [
      'pull into a climbing root',
      (h) => json(h, 'POST', '/files/pull', { url: originUrl, root: '../..', foreground: true }),
    ],
  ]

  it.each(CLIMBS)('%s: 404, nothing moved, made or removed', async (_name, run) => {
    const rootBefore = await snapshot(h.root)
    const outsideBefore = await snapshot(h.outside)

    const res = await run(h)

    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: string }).error).toBe(
      'The requested resources was not found on the system.',
    )
    expect(await snapshot(h.root)).toEqual(rootBefore)
    expect(await snapshot(h.outside)).toEqual(outsideBefore)
  })

  it('still lets .. move within the root', async () => {
    const res = await h.call('PUT', '/files/rename', {
      root: '/data',
      files: [{ from: 'world.dat', to: '../world.dat' }],
    })

    expect(res.status).toBe(204)
    expect(await readFile(path.join(h.root, 'world.dat'), 'utf8')).toBe('world')
  })
})

describe('a symlink swapped in during operations', () => {
  let h: FilesHarness

  beforeEach(async () => {
    h = await FilesHarness.start()
    await seed(h)
    await mkdir(path.join(h.root, 'swap'))
  })

  afterEach(async () => {
    await h.close()
  })

  it('never writes, reads or deletes outside while a directory flips to a symlink', async () => {
    const outsideBefore = await snapshot(h.outside)
    let running = true
    const swapper = (async () => {
      const dir = path.join(h.root, 'swap')
      const parked = path.join(h.root, 'swap-real')
      while (running) {
        await rename(dir, parked).catch(() => undefined)
        await symlink('../outside/dir', dir).catch(() => undefined)
        await new Promise((r) => setImmediate(r))
        await rm(dir, { force: true }).catch(() => undefined)
        await rename(parked, dir).catch(() => undefined)
      }
    })()
    const bodies: string[] = []
    for (let i = 0; i < 60; i++) {
      const results = await Promise.all([
        h.call('POST', '/files/write?file=swap/inner', 'overwritten'),
        h.call('GET', '/files/contents?file=swap/inner'),
        h.call('POST', '/files/delete', { root: '/swap', files: ['inner'] }),
        h.call('POST', '/files/chmod', { root: '/swap', files: [{ file: 'inner', mode: '777' }] }),
        h.call('GET', '/files/list-directory?directory=swap'),
      ])
      for (const res of results) bodies.push(await res.text())
    }
    running = false
    await swapper
    expect(bodies.join('')).not.toContain(SECRET)
    expect(await snapshot(h.outside)).toEqual(outsideBefore)
  })
})

describe('deny list, quota and malformed input', () => {
  let h: FilesHarness

  beforeEach(async () => {
    h = await FilesHarness.start({ denylist: ['*.secret', 'locked/'], diskLimitBytes: 4096 })
    await writeFile(path.join(h.root, 'keep.txt'), 'keep me')
    await writeFile(path.join(h.root, 'a.secret'), 'denied')
    await mkdir(path.join(h.root, 'locked'))
    await writeFile(path.join(h.root, 'locked/x'), 'x')
  })

  afterEach(async () => {
    await h.close()
  })

  const DENIED = { error: 'This file cannot be modified: present in egg denylist.' }

  it.each([
    ['write', (h: FilesHarness) => h.call('POST', '/files/write?file=a.secret', 'x')],
    ['write new', (h: FilesHarness) => h.call('POST', '/files/write?file=b.secret', 'x')],
    [
      'write in a denied dir',
      (h: FilesHarness) => h.call('POST', '/files/write?file=locked/y', 'x'),
    ],
    ['read', (h: FilesHarness) => h.call('GET', '/files/contents?file=a.secret')],
    [
      'rename from',
      (h: FilesHarness) =>
        h.call('PUT', '/files/rename', { root: '/', files: [{ from: 'a.secret', to: 'free' }] }),
    ],
    [
      'rename to',
      (h: FilesHarness) =>
        h.call('PUT', '/files/rename', {
          root: '/',
          files: [{ from: 'keep.txt', to: 'k.secret' }],
        }),
    ],
    ['copy', (h: FilesHarness) => h.call('POST', '/files/copy', { location: 'a.secret' })],
    ['upload', (h: FilesHarness) => upload(h, '/', 'c.secret')],
    [
      'download',
      (h: FilesHarness) =>
        fetch(
          `${h.base}/download/file?token=${h.mint('file-download', { file_path: '/a.secret' })}`,
        ),
    ],
  ])('%s of a denied file is a 403 and changes nothing', async (_name, run) => {
    const before = await snapshot(h.root)
    const res = await run(h)
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject(DENIED)
    expect(await snapshot(h.root)).toEqual(before)
  })

  it('refuses a write over the quota, keeping the old file', async () => {
    const before = await snapshot(h.root)
    const res = await h.call('POST', '/files/write?file=keep.txt', Buffer.alloc(8192))
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe(
      'There is not enough disk space available to perform that action.',
    )
    expect(await snapshot(h.root)).toEqual(before)
  })

  it('stops an upload that crosses the quota mid-stream, leaving nothing of it', async () => {
    const before = await snapshot(h.root)
    const form = new FormData()
    form.append('files', new Blob([Buffer.alloc(64 * 1024, 1)]), 'big.bin')
    const res = await fetch(`${h.base}/upload/file?token=${h.mint('file-upload')}&directory=/`, {
      method: 'POST',
      body: form,
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe(
      'There is not enough disk space available to perform that action.',
    )
    expect(await snapshot(h.root)).toEqual(before)
  })

  const GENERIC = 'An unexpected error was encountered while processing this request'
  it.each([
    ['PUT', '/files/rename', '{'],
    ['PUT', '/files/rename', '[]'],
    ['PUT', '/files/rename', { root: '/', files: 'keep.txt' }],
    ['PUT', '/files/rename', { root: '/', files: [1] }],
    ['PUT', '/files/rename', { root: 5, files: [{ from: 'a', to: 'b' }] }],
    ['POST', '/files/copy', { location: 5 }],
    ['POST', '/files/copy', {}],
    ['POST', '/files/delete', { root: '/', files: [null, 3] }],
    ['POST', '/files/delete', 'null'],
    ['POST', '/files/chmod', { root: '/', files: [{ file: 'keep.txt', mode: 755 }] }],
    ['POST', '/files/create-directory', { name: ['x'], path: '/' }],
    ['POST', '/files/pull', { url: 42, root: '/' }],
    ['POST', '/files/pull', { url: 'http://example.com/', root: '/', foreground: 'yes' }],
  ] as const)('%s %s with %j is the generic 400', async (method, route, body) => {
    const before = await snapshot(h.root)
    const res = await h.call(method, route, body)
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe(GENERIC)
    expect(await snapshot(h.root)).toEqual(before)
  })

  it('answers an empty body as not parsable', async () => {
    const res = await h.call('POST', '/files/delete', '')
    expect(await res.json()).toEqual({
      error: 'The data passed in the request was not in a parsable format. Please try again.',
    })
  })
})

describe('remote pull refuses internal destinations', () => {
  let h: FilesHarness
  let origin: HttpServer
  let port: number
  let hits = 0

  beforeAll(async () => {
    h = await FilesHarness.start()
    origin = createServer((_req, res) => {
      hits++
      res.writeHead(200, { 'Content-Length': String(SECRET.length) })
      res.end(SECRET)
    })
    origin.listen(0, '127.0.0.1')
    await once(origin, 'listening')
    port = (origin.address() as AddressInfo).port
  })

  afterAll(async () => {
    origin.closeAllConnections()
    origin.close()
    await h.close()
  })

  it.each([
    'http://127.0.0.1:PORT/a',
    'http://127.1:PORT/a',
    'http://2130706433:PORT/a',
    'http://0x7f000001:PORT/a',
    'http://0177.0.0.1:PORT/a',
    'http://0.0.0.0:PORT/a',
    'http://localhost:PORT/a',
    'http://[::1]:PORT/a',
    'http://[::ffff:127.0.0.1]:PORT/a',
    'http://[::ffff:7f00:1]:PORT/a',
    'https://127.0.0.1:PORT/a',
    'http://169.254.169.254/latest/meta-data',
  ])('%s never reaches the server', async (template) => {
    const url = template.replace('PORT', String(port))
    const res = await h.call('POST', '/files/pull', { url, root: '/', foreground: true })
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(await res.text()).not.toContain(SECRET)
    expect(hits).toBe(0)
    expect(await snapshot(h.root)).toEqual({})
  })
})

describe('remote pull re-checks every redirect', () => {
  let h: FilesHarness
  let origin: HttpServer
  let hits: string[] = []

  beforeEach(async () => {
    hits = []
    // Only the origin's own address is let through, so each hop is judged like a public one.
    h = await FilesHarness.start({ allowInternalDownloads: (address) => address === '127.0.0.1' })
    origin = createServer((req, res) => {
      hits.push(req.url ?? '')
      const port = (origin.address() as AddressInfo).port
      const targets: Record<string, string> = {
        '/to-v6-loopback': `http://[::1]:${port}/secret`,
        '/to-zero': `http://0.0.0.0:${port}/secret`,
        '/to-other-loopback': `http://127.0.0.2:${port}/secret`,
        '/to-metadata': 'http://169.254.169.254/latest/meta-data',
        '/to-file': 'file:///etc/passwd',
      }
      const target = targets[req.url ?? '']
      if (target !== undefined) {
        res.writeHead(302, { Location: target })
        res.end()
        return
      }
      res.writeHead(200, { 'Content-Length': String(SECRET.length) })
      res.end(SECRET)
    })
    origin.listen(0, '127.0.0.1')
    await once(origin, 'listening')
  })

  afterEach(async () => {
    origin.closeAllConnections()
    origin.close()
    await h.close()
  })

  it.each(['/to-v6-loopback', '/to-zero', '/to-other-loopback', '/to-metadata', '/to-file'])(
    'a redirect %s is refused before it is followed',
    async (route) => {
      const port = (origin.address() as AddressInfo).port
      const res = await h.call('POST', '/files/pull', {
        url: `http://127.0.0.1:${port}${route}`,
        root: '/',
        foreground: true,
      })
      expect(res.status).toBeGreaterThanOrEqual(400)
      expect(hits).toEqual([route])
      expect(await snapshot(h.root)).toEqual({})
    },
  )
})

describe('uploads are all-or-nothing', () => {
  let h: FilesHarness

  beforeEach(async () => {
    h = await FilesHarness.start({ uploadLimitMiB: 1 })
    await writeFile(path.join(h.root, 'keep.txt'), 'keep me')
  })

  afterEach(async () => {
    await h.close()
  })

  function form(files: readonly [name: string, bytes: number][]): FormData {
    const data = new FormData()
    for (const [name, bytes] of files)
      data.append('files', new Blob([Buffer.alloc(bytes, 1)]), name)
    return data
  }

  function post(body: FormData): Promise<Response> {
    return fetch(`${h.base}/upload/file?token=${h.mint('file-upload')}&directory=/`, {
      method: 'POST',
      body,
    })
  }

  it('checks every file against upload_limit before writing any', async () => {
    const before = await snapshot(h.root)

    const res = await post(
      form([
        ['first.bin', 1024],
        ['second.bin', 1024 * 1024 + 1],
      ]),
    )

    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      error: 'File second.bin is larger than the maximum file upload size of 1 MB.',
    })
    expect(await snapshot(h.root)).toEqual(before)
    expect(h.uploads).toEqual([])
  })

  it('refuses a form with more files than one request may carry, writing none', async () => {
    const before = await snapshot(h.root)
    const files = Array.from({ length: 101 }, (_, i) => [`f${i}.txt`, 1] as [string, number])

    const res = await post(form(files))

    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      error: 'Too many files were provided in one request: at most 100 are allowed.',
    })
    expect(await snapshot(h.root)).toEqual(before)
  })
})

describe('requests naming more files than one request may carry', () => {
  let h: FilesHarness

  beforeAll(async () => {
    h = await FilesHarness.start({
      archives: { compress: compressFiles, decompress: decompressArchive },
    })
    await writeFile(path.join(h.root, 'keep.txt'), 'keep me')
  })

  afterAll(async () => {
    await h.close()
  })

  const names = Array.from({ length: 10_001 }, (_, i) => (i === 0 ? 'keep.txt' : `n${i}`))
  it.each([
    [
      'PUT',
      '/files/rename',
      { root: '/', files: names.map((from) => ({ from, to: `${from}.x` })) },
    ],
    ['POST', '/files/delete', { root: '/', files: names }],
    ['POST', '/files/chmod', { root: '/', files: names.map((file) => ({ file, mode: '600' })) }],
    ['POST', '/files/compress', { root: '/', files: names }],
  ] as const)('%s %s is refused with the 422, touching nothing', async (method, route, body) => {
    const before = await snapshot(h.root)

    const res = await h.call(method, route, body)

    expect(res.status).toBe(422)
    expect(await res.json()).toEqual({
      error: 'Too many files were provided in one request: at most 10000 are allowed.',
    })
    expect(await snapshot(h.root)).toEqual(before)
  })
})

describe('file names in response headers', () => {
  let h: FilesHarness

  beforeAll(async () => {
    h = await FilesHarness.start()
  })

  afterAll(async () => {
    await h.close()
  })

  const NAMES = [
    'plain.txt',
    'Ελληνικά.txt',
    'русский текст.txt',
    '中文文件.txt',
    '日本語のファイル.txt',
    '한국어.txt',
    'עברית.txt',
    'العربية.txt',
    'हिन्दी.txt',
    'ไทย.txt',
    'x\u010D\u010ASet-Cookie: session=stolen.txt',
    'x\u010D\u010A\u010D\u010A<html>.txt',
    '😀.txt',
    '👨‍👩‍👧 family.txt',
    'cr\rlf\nSet-Cookie: a=b.txt',
    'tab\tand\u0001\u007f.txt',
    'quote"back\\slash.txt',
    "star*'(paren)%20;semi,comma.txt",
  ]

  // Exactly the bytes a header line may carry: visible ASCII, space and tab.
  const HEADER_LINE = /^[\t\x20-\x7e]*$/
  const DISPOSITION =
    /^attachment; filename="((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"(?:; filename\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%-]+))?$/

  async function expectSafeDisposition(url: string, name: string, headers = {}): Promise<void> {
    const head = await rawResponseHead(url, headers)

    expect(head.statusLine).toBe('HTTP/1.1 200 OK')
    for (const line of head.lines) expect(line, JSON.stringify(line)).toMatch(HEADER_LINE)
    expect(headerValues(head, 'set-cookie')).toEqual([])
    const dispositions = headerValues(head, 'content-disposition')
    expect(dispositions).toHaveLength(1)
    const match = DISPOSITION.exec(dispositions[0]!)
    expect(match, dispositions[0]).not.toBeNull()
    const [, fallback, extended] = match!
    const sent =
      extended === undefined ? fallback!.replace(/\\(.)/g, '$1') : decodeURIComponent(extended)
    expect(sent).toBe(name)
  }

  it.each(NAMES)('files/contents?download=1 of %j sends only header-safe bytes', async (name) => {
    await writeFile(path.join(h.root, name), 'content')

    await expectSafeDisposition(
      `${h.base}/api/servers/${SERVER_UUID}/files/contents?file=${encodeURIComponent(name)}&download=1`,
      name,
      { Authorization: `Bearer ${NODE_TOKEN}` },
    )
  })

  it.each(NAMES)('/download/file of %j sends only header-safe bytes', async (name) => {
    await writeFile(path.join(h.root, name), 'content')
    const token = h.mint('file-download', { file_path: `/${name}` })

    await expectSafeDisposition(`${h.base}/download/file?token=${token}`, name)
  })
})

describe('names that are not UTF-8, made by the game process', () => {
  let h: FilesHarness
  const raw = (...parts: (string | number[])[]): Buffer =>
    Buffer.concat([Buffer.from(`${h.root}/`), ...parts.map((part) => Buffer.from(part))])

  beforeEach(async () => {
    h = await FilesHarness.start({
      archives: { compress: compressFiles, decompress: decompressArchive },
    })
    await mkdir(raw('dir'))
    await writeFile(raw('dir/bad', [0xff, 0xfe]), 'bad bytes')
    await mkdir(raw('dir/sub', [0xe2, 0x82]))
    await writeFile(raw('dir/sub', [0xe2, 0x82], '/inner.txt'), 'inner')
    await writeFile(raw('dir/ok.txt'), 'ok')
  })

  afterEach(async () => {
    await h.close()
  })

  async function listed(directory: string): Promise<string[]> {
    const res = await h.call(
      'GET',
      `/files/list-directory?directory=${encodeURIComponent(directory)}`,
    )
    expect(res.status).toBe(200)
    return ((await res.json()) as { name: string }[]).map((entry) => entry.name).sort()
  }

  it('lists them in the reference lossy form, one U+FFFD per byte that is not UTF-8', async () => {
    const body = await (await h.call('GET', '/files/list-directory?directory=dir')).arrayBuffer()

    expect(await listed('dir')).toEqual(['bad\uFFFD\uFFFD', 'ok.txt', 'sub\uFFFD\uFFFD'])
    // Valid UTF-8 on the wire: no lone surrogate escapes a JSON parser would refuse.
    expect(Buffer.from(body).toString('utf8')).not.toMatch(/\\ud[89a-f]/i)
    expect(await listed('dir/sub\uFFFD\uFFFD')).toEqual(['inner.txt'])
  })

  it('deletes and renames them by that name', async () => {
    const renamed = await h.call('PUT', '/files/rename', {
      root: '/dir',
      files: [{ from: 'sub\uFFFD\uFFFD', to: 'sub-fixed' }],
    })
    const deleted = await h.call('POST', '/files/delete', {
      root: '/dir',
      files: ['bad\uFFFD\uFFFD'],
    })

    expect(renamed.status).toBe(204)
    expect(deleted.status).toBe(204)
    expect(await listed('dir')).toEqual(['ok.txt', 'sub-fixed'])
    expect(await readFile(path.join(h.root, 'dir/sub-fixed/inner.txt'), 'utf8')).toBe('inner')
  })

  it('deletes a directory holding them', async () => {
    const res = await h.call('POST', '/files/delete', { root: '/', files: ['dir'] })

    expect(res.status).toBe(204)
    expect(await snapshot(h.root)).toEqual({})
  })

  it('archives them under their own bytes', async () => {
    const res = await h.call('POST', '/files/compress', { root: '/', files: ['dir'] })
    expect(res.status).toBe(200)
    const archive = ((await res.json()) as { name: string }).name
    const out = path.join(h.temp.path, 'extracted')
    await mkdir(out)

    await run('tar', ['-xzf', path.join(h.root, archive), '-C', out])

    const names = await readdir(`${out}/dir`, { encoding: 'buffer' })
    expect(names.map((name) => name.toString('hex')).sort()).toEqual(
      [
        Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]),
        Buffer.from('ok.txt'),
        Buffer.from([0x73, 0x75, 0x62, 0xe2, 0x82]),
      ]
        .map((name) => name.toString('hex'))
        .sort(),
    )
  })
})

describe('safe refusals are answered 4xx, never 500', () => {
  let h: FilesHarness

  beforeEach(async () => {
    h = await FilesHarness.start()
    await mkdir(path.join(h.root, 'data/sub'), { recursive: true })
    await writeFile(path.join(h.root, 'data/world.dat'), 'world')
    await symlink('data', path.join(h.root, 'data-link'))
  })

  afterEach(async () => {
    await h.close()
  })

  it.each([
    ['into its own subtree', 'data', 'data/sub/data'],
    ['into itself through a link inside the root', 'data', 'data-link/moved'],
  ])('renaming a directory %s is the 400', async (_name, from, to) => {
    const before = await snapshot(h.root)

    const res = await h.call('PUT', '/files/rename', { root: '/', files: [{ from, to }] })

    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({
      error: 'Cannot perform that action: a directory cannot be moved into itself.',
    })
    expect(await snapshot(h.root)).toEqual(before)
  })
})

describe('the volume reserve on every write path', () => {
  let h: FilesHarness
  let origin: HttpServer

  beforeAll(async () => {
    origin = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': '6' })
      res.end('pulled')
    })
    origin.listen(0, '127.0.0.1')
    await once(origin, 'listening')
    // More than any disk holds: every write must refuse, on a server without a disk limit.
    h = await FilesHarness.start({
      archives: { compress: compressFiles, decompress: decompressArchive },
      allowInternalDownloads: true,
      reserve: new VolumeReserve({ path: '/', reserveBytes: 2 ** 52 }),
    })
    await writeFile(path.join(h.root, 'keep.txt'), 'keep me')
    await writeFile(path.join(h.root, 'pack.tar.gz'), tarGz([{ name: 'x.txt', data: 'x' }]))
  })

  afterAll(async () => {
    origin.closeAllConnections()
    origin.close()
    await once(origin, 'close')
    await h.close()
  })

  const pullUrl = (): string => `http://127.0.0.1:${(origin.address() as AddressInfo).port}/p.txt`
  it.each([
    ['write', (h: FilesHarness) => h.call('POST', '/files/write?file=new.txt', 'x')],
    ['upload', (h: FilesHarness) => upload(h, '/', 'up.txt')],
    ['copy', (h: FilesHarness) => h.call('POST', '/files/copy', { location: 'keep.txt' })],
    [
      'compress',
      (h: FilesHarness) => h.call('POST', '/files/compress', { root: '/', files: ['keep.txt'] }),
    ],
    [
      'decompress',
      (h: FilesHarness) => h.call('POST', '/files/decompress', { root: '/', file: 'pack.tar.gz' }),
    ],
    [
      'pull',
      (h: FilesHarness) =>
        h.call('POST', '/files/pull', { url: pullUrl(), root: '/', foreground: true }),
    ],
  ])('%s is refused with the disk-space 400, writing nothing', async (_name, run) => {
    const before = await snapshot(h.root)

    const res = await run(h)

    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe(
      'There is not enough disk space available to perform that action.',
    )
    expect(await snapshot(h.root)).toEqual(before)
  })
})

describe('a remote pull whose origin hangs up mid-body', () => {
  let h: FilesHarness
  let origin: HttpServer

  beforeAll(async () => {
    origin = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': String(8 * 1024 * 1024) })
      res.write(Buffer.alloc(64 * 1024, 1))
      // Headers and a little of the body, then the connection is cut.
      setImmediate(() => res.socket?.destroy())
    })
    origin.listen(0, '127.0.0.1')
    await once(origin, 'listening')
    h = await FilesHarness.start({ allowInternalDownloads: true })
  })

  afterAll(async () => {
    origin.closeAllConnections()
    origin.close()
    await once(origin, 'close')
    await h.close()
  })

  it('fails the pull and leaves nothing, the error handled from the moment the response exists', async () => {
    const url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/cut.bin`
    for (let i = 0; i < 20; i++) {
      const res = await h.call('POST', '/files/pull', { url, root: '/', foreground: true })

      expect(res.status).toBeGreaterThanOrEqual(400)
    }
    expect(await snapshot(h.root)).toEqual({})
  })
})
