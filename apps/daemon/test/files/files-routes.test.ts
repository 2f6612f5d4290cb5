import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { FilesHarness, SERVER_UUID, USER_UUID } from './harness.js'

describe('the file endpoints over HTTP', () => {
  let h: FilesHarness

  beforeEach(async () => {
    h = await FilesHarness.start({ uploadLimitMiB: 1 })
  })

  afterEach(async () => {
    await h.close()
  })

  it('lists a directory as an array of Stat objects, [] when empty', async () => {
    await mkdir(path.join(h.root, 'world'))
    await writeFile(path.join(h.root, 'server.properties'), 'motd=hi\n')
    await writeFile(path.join(h.root, 'eula'), 'eula=true\n')
    await writeFile(path.join(h.root, 'blob'), Buffer.from([0, 1, 2, 3]))
    await writeFile(path.join(h.root, 'config.json'), '{}')
    await chmod(path.join(h.root, 'config.json'), 0o600)
    await symlink('config.json', path.join(h.root, 'link'))
    await mkdir(path.join(h.root, 'empty'))

    const res = await h.call('GET', '/files/list-directory?directory=/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const entries = (await res.json()) as Record<string, unknown>[]
    const byName = new Map(entries.map((e) => [e['name'], e]))
    expect([...byName.keys()].sort()).toEqual(
      ['blob', 'config.json', 'empty', 'eula', 'link', 'server.properties', 'world'].sort(),
    )
    expect(Object.keys(byName.get('config.json')!)).toEqual([
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
    expect(byName.get('config.json')).toMatchObject({
      mode: '-rw-------',
      mode_bits: '600',
      size: 2,
      directory: false,
      file: true,
      symlink: false,
      mime: 'application/json',
    })
    expect(byName.get('world')).toMatchObject({
      mode: 'drwxr-xr-x',
      directory: true,
      file: false,
      mime: 'inode/directory',
    })
    expect(byName.get('link')).toMatchObject({ symlink: true, mime: 'application/octet-stream' })
    expect(String(byName.get('link')!['mode'])).toMatch(/^L/)
    expect(byName.get('eula')!['mime']).toBe('text/plain; charset=utf-8')
    expect(byName.get('blob')!['mime']).toBe('application/octet-stream')
    expect(String(byName.get('world')!['modified'])).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/,
    )

    const empty = await h.call('GET', '/files/list-directory?directory=/empty')
    expect(await empty.text()).toBe('[]')
  })

  it('answers a missing directory with the §3.1 404', async () => {
    const res = await h.call('GET', '/files/list-directory?directory=/nope')
    expect(res.status).toBe(404)
    const body = (await res.json()) as Record<string, unknown>
    expect(body['error']).toBe('The requested resources was not found on the system.')
    expect(body['request_id']).toEqual(expect.any(String))
  })

  it('pages a directory on request, directories first then by name', async () => {
    for (const name of ['b', 'a', 'd']) await writeFile(path.join(h.root, name), name)
    for (const name of ['z', 'y']) await mkdir(path.join(h.root, name))

    const first = await h.call('GET', '/files/list-directory?directory=/&page=1&per_page=3')
    const body = (await first.json()) as { total: number; entries: { name: string }[] }
    expect(body.total).toBe(5)
    expect(body.entries.map((e) => e.name)).toEqual(['y', 'z', 'a'])
    const second = await h.call('GET', '/files/list-directory?directory=/&page=2&per_page=3')
    const page2 = (await second.json()) as { entries: { name: string }[] }
    expect(page2.entries.map((e) => e.name)).toEqual(['b', 'd'])

    const bad = await h.call('GET', '/files/list-directory?directory=/&page=0')
    expect(bad.status).toBe(400)
  })

  it('serves contents with Content-Length and X-Mime-Type, as an attachment on request', async () => {
    await writeFile(path.join(h.root, 'notes.txt'), 'hello "world"\n')
    const res = await h.call('GET', '/files/contents?file=/notes.txt')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe('14')
    expect(res.headers.get('x-mime-type')).toBe('text/plain; charset=utf-8')
    expect(await res.text()).toBe('hello "world"\n')

    const download = await h.call('GET', '/files/contents?file=notes.txt&download=1')
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="notes.txt"')
    expect(download.headers.get('content-type')).toBe('application/octet-stream')
    await download.arrayBuffer()

    await promisify(execFile)('mkfifo', [path.join(h.root, 'pipe')])
    const fifo = await h.call('GET', '/files/contents?file=pipe')
    expect(fifo.status).toBe(400)
    expect(await fifo.json()).toEqual({ error: 'Cannot open files of this type.' })

    await mkdir(path.join(h.root, 'dir'))
    const copyDir = await h.call('POST', '/files/copy', { location: 'dir' })
    expect(copyDir.status).toBe(404)
    const dir = await h.call('GET', '/files/contents?file=dir')
    expect(dir.status).toBe(400)
    expect(((await dir.json()) as { error: string }).error).toBe(
      'Cannot perform that action: file is a directory.',
    )
  })

  it('writes the raw body, creating parents, and refuses a missing Content-Length', async () => {
    const res = await h.call('POST', '/files/write?file=a/b/c.txt', 'raw {not json}', {
      'Content-Type': 'application/json',
    })
    expect(res.status).toBe(204)
    expect(await readFile(path.join(h.root, 'a/b/c.txt'), 'utf8')).toBe('raw {not json}')

    const chunked = await fetch(`${h.base}/api/servers/${SERVER_UUID}/files/write?file=x`, {
      method: 'POST',
      headers: { Authorization: 'Bearer node-secret-token-0123456789abcdef' },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('x'))
          c.close()
        },
      }),
      duplex: 'half',
    })
    expect(chunked.status).toBe(400)
    expect(await chunked.json()).toEqual({ error: 'Missing Content-Length' })

    const overDir = await h.call('POST', '/files/write?file=a', 'x')
    expect(overDir.status).toBe(400)
    expect(await overDir.json()).toEqual({
      error: 'Cannot write file, name conflicts with an existing directory by the same name.',
    })
  })

  it('renames, copies, creates directories, chmods and deletes', async () => {
    await writeFile(path.join(h.root, 'a.txt'), 'A')
    await writeFile(path.join(h.root, 'taken'), 'T')

    expect(
      (
        await h.call('PUT', '/files/rename', {
          root: '/',
          files: [
            { from: 'a.txt', to: 'moved/a.txt' },
            { from: 'missing', to: 'whatever' },
          ],
        })
      ).status,
    ).toBe(204)
    expect(await readFile(path.join(h.root, 'moved/a.txt'), 'utf8')).toBe('A')
    const exists = await h.call('PUT', '/files/rename', {
      root: '/moved',
      files: [{ from: 'a.txt', to: '../taken' }],
    })
    expect(exists.status).toBe(400)
    expect(((await exists.json()) as { error: string }).error).toBe(
      'Cannot move or rename file, destination already exists.',
    )
    const none = await h.call('PUT', '/files/rename', { root: '/', files: [] })
    expect(none.status).toBe(422)
    expect(await none.json()).toEqual({ error: 'No files to move or rename were provided.' })

    expect((await h.call('POST', '/files/copy', { location: 'moved/a.txt' })).status).toBe(204)
    expect(await readFile(path.join(h.root, 'moved/a copy.txt'), 'utf8')).toBe('A')

    expect(
      (await h.call('POST', '/files/create-directory', { name: 'new', path: '/moved' })).status,
    ).toBe(204)
    expect((await stat(path.join(h.root, 'moved/new'))).isDirectory()).toBe(true)
    const enotdir = await h.call('POST', '/files/create-directory', { name: 'x', path: '/taken' })
    expect(enotdir.status).toBe(400)
    expect(((await enotdir.json()) as { error: string }).error).toBe(
      'Part of the path being created is not a directory (ENOTDIR).',
    )
    const clash = await h.call('POST', '/files/create-directory', { name: 'taken', path: '/' })
    expect(clash.status).toBe(400)
    expect(((await clash.json()) as { error: string }).error).toBe(
      'Cannot create directory, name conflicts with an existing file by the same name.',
    )

    const chmodRes = await h.call('POST', '/files/chmod', {
      root: '/moved',
      files: [
        { file: 'a.txt', mode: '755' },
        { file: 'gone', mode: '644' },
      ],
    })
    expect(chmodRes.status).toBe(204)
    expect((await stat(path.join(h.root, 'moved/a.txt'))).mode & 0o777).toBe(0o755)
    const badMode = await h.call('POST', '/files/chmod', {
      root: '/',
      files: [{ file: 'taken', mode: 'rwx' }],
    })
    expect(badMode.status).toBe(400)
    expect(await badMode.json()).toEqual({ error: 'Invalid file mode.' })
    expect(await (await h.call('POST', '/files/chmod', { root: '/', files: [] })).json()).toEqual({
      error: 'No files to chmod were provided.',
    })

    const del = await h.call('POST', '/files/delete', { root: '/', files: ['moved', 'nothing'] })
    expect(del.status).toBe(204)
    await expect(stat(path.join(h.root, 'moved'))).rejects.toThrow()
    const emptyDel = await h.call('POST', '/files/delete', { root: '/', files: [] })
    expect(await emptyDel.json()).toEqual({ error: 'No files were specified for deletion.' })
  })

  it('uploads with a one-time token, then downloads byte-identical', async () => {
    const content = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256))
    const form = new FormData()
    form.append('files', new Blob([content]), 'data.bin')
    form.append('files', new Blob(['second']), 'second.txt')
    const token = h.mint('file-upload')
    const up = await fetch(`${h.base}/upload/file?token=${token}&directory=/uploads`, {
      method: 'POST',
      body: form,
    })
    expect(up.status).toBe(200)
    expect(await up.text()).toBe('')
    expect(h.uploads.map((u) => [u.event, u.server, u.user, u.ip, u.metadata])).toEqual([
      [
        'server:file.uploaded',
        SERVER_UUID,
        USER_UUID,
        '127.0.0.1',
        { file: 'data.bin', directory: '/uploads' },
      ],
      [
        'server:file.uploaded',
        SERVER_UUID,
        USER_UUID,
        '127.0.0.1',
        { file: 'second.txt', directory: '/uploads' },
      ],
    ])
    expect((await stat(path.join(h.root, 'uploads/data.bin'))).mode & 0o777).toBe(0o644)

    // The same token cannot be used twice.
    const again = await fetch(`${h.base}/upload/file?token=${token}&directory=/`, {
      method: 'POST',
      body: form,
    })
    expect(again.status).toBe(404)

    const down = await fetch(
      `${h.base}/download/file?token=${h.mint('file-download', { file_path: '/uploads/data.bin' })}`,
    )
    expect(down.status).toBe(200)
    expect(down.headers.get('content-disposition')).toBe('attachment; filename="data.bin"')
    expect(down.headers.get('content-length')).toBe(String(content.length))
    expect(Buffer.from(await down.arrayBuffer()).equals(content)).toBe(true)
  })

  it('refuses uploads over upload_limit and forms without files', async () => {
    const form = new FormData()
    form.append('files', new Blob([Buffer.alloc(1024 * 1024 + 1)]), 'big.bin')
    const res = await fetch(`${h.base}/upload/file?token=${h.mint('file-upload')}&directory=/`, {
      method: 'POST',
      body: form,
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      error: 'File big.bin is larger than the maximum file upload size of 1 MB.',
    })
    await expect(stat(path.join(h.root, 'big.bin'))).rejects.toThrow()

    const noFiles = new FormData()
    noFiles.append('other', 'x')
    const empty = await fetch(`${h.base}/upload/file?token=${h.mint('file-upload')}&directory=/`, {
      method: 'POST',
      body: noFiles,
    })
    expect(await empty.json()).toEqual({ error: 'No files were found on the request body.' })

    const notMultipart = await fetch(
      `${h.base}/upload/file?token=${h.mint('file-upload')}&directory=/`,
      { method: 'POST', body: 'plain', headers: { 'Content-Type': 'text/plain' } },
    )
    expect(await notMultipart.json()).toEqual({
      error: 'Failed to get multipart form data from request.',
    })
  })

  it('downloads refuse a directory and a token for another server', async () => {
    await mkdir(path.join(h.root, 'dir'))
    const dir = await fetch(
      `${h.base}/download/file?token=${h.mint('file-download', { file_path: '/dir' })}`,
    )
    expect(dir.status).toBe(404)
    expect(await dir.json()).toEqual({
      error: 'The requested resource was not found on this server.',
    })
    const other = await fetch(
      `${h.base}/download/file?token=${h.mint('file-download', {
        file_path: '/x',
        server_uuid: '11111111-1111-4111-8111-111111111111',
      })}`,
    )
    expect(other.status).toBe(404)
    const forged = await fetch(`${h.base}/download/file?token=abc.def.ghi`)
    expect(forged.status).toBe(500)
  })
})

describe('remote pull', () => {
  let h: FilesHarness
  let origin: HttpServer
  let originUrl: string
  const payload = Buffer.alloc(64 * 1024, 'p')

  beforeEach(async () => {
    h = await FilesHarness.start({ allowInternalDownloads: true })
    origin = createServer((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { Location: '/files/pack.zip' })
        res.end()
      } else if (req.url === '/loop') {
        res.writeHead(302, { Location: '/loop' })
        res.end()
      } else if (req.url === '/named') {
        res.writeHead(200, {
          'Content-Length': '5',
          'Content-Disposition': 'attachment; filename="from-header.txt"',
        })
        res.end('named')
      } else if (req.url === '/slow') {
        res.writeHead(200, { 'Content-Length': String(payload.length * 2) })
        res.write(payload)
      } else if (req.url === '/missing') {
        res.writeHead(404)
        res.end()
      } else {
        res.writeHead(200, { 'Content-Length': String(payload.length) })
        res.end(payload)
      }
    })
    origin.listen(0, '127.0.0.1')
    await once(origin, 'listening')
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`
  })

  afterEach(async () => {
    h.downloads.cancelAll(SERVER_UUID)
    origin.closeAllConnections()
    origin.close()
    await h.close()
  })

  it('pulls in the foreground, following a redirect, and answers the Stat object', async () => {
    const res = await h.call('POST', '/files/pull', {
      url: `${originUrl}/redirect`,
      root: '/downloads',
      foreground: true,
    })
    expect(res.status).toBe(200)
    const stat = (await res.json()) as Record<string, unknown>
    expect(stat).toMatchObject({ name: 'pack.zip', size: payload.length, mime: 'application/zip' })
    expect((await readFile(path.join(h.root, 'downloads/pack.zip'))).equals(payload)).toBe(true)
  })

  it('takes the name from Content-Disposition with use_header', async () => {
    const res = await h.call('POST', '/files/pull', {
      url: `${originUrl}/named`,
      directory: '/',
      use_header: true,
      foreground: true,
    })
    expect(res.status).toBe(200)
    expect(await readFile(path.join(h.root, 'from-header.txt'), 'utf8')).toBe('named')
  })

  it('lists a background download with its progress, then cancels it leaving nothing', async () => {
    const start = await h.call('POST', '/files/pull', { url: `${originUrl}/slow`, root: '/' })
    expect(start.status).toBe(202)
    const { identifier } = (await start.json()) as { identifier: string }
    let listed: { downloads: { Identifier: string; Progress: number }[] | null } = {
      downloads: null,
    }
    for (let i = 0; i < 200; i++) {
      listed = (await (await h.call('GET', '/files/pull')).json()) as typeof listed
      if ((listed.downloads?.[0]?.Progress ?? 0) > 0) break
      await new Promise((r) => setTimeout(r, 10))
    }
    expect(listed.downloads).toEqual([{ Identifier: identifier, Progress: 0.5 }])

    const cancel = await h.call('DELETE', `/files/pull/${identifier}`)
    expect(cancel.status).toBe(204)
    for (let i = 0; i < 200; i++) {
      const now = (await (await h.call('GET', '/files/pull')).json()) as typeof listed
      if (now.downloads === null) break
      await new Promise((r) => setTimeout(r, 10))
    }
    expect(await (await h.call('GET', '/files/pull')).json()).toEqual({ downloads: null })
    await expect(stat(path.join(h.root, 'slow'))).rejects.toThrow()
  })

  it('fails on bad statuses, redirect loops and bad URLs', async () => {
    const missing = await h.call('POST', '/files/pull', {
      url: `${originUrl}/missing`,
      root: '/',
      foreground: true,
    })
    // A plain failure: 500 generic per spec (see the report on error-handler's abort check).
    expect(missing.status).toBeGreaterThanOrEqual(400)
    const loop = await h.call('POST', '/files/pull', {
      url: `${originUrl}/loop`,
      root: '/',
      foreground: true,
    })
    expect(loop.status).toBeGreaterThanOrEqual(400)
    await expect(stat(path.join(h.root, 'loop'))).rejects.toThrow()
    await expect(stat(path.join(h.root, 'missing'))).rejects.toThrow()
    const bad = await h.call('POST', '/files/pull', { url: 'not a url', root: '/' })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toMatch(
      /^An error occurred while parsing that URL: /,
    )
    const ftp = await h.call('POST', '/files/pull', { url: 'ftp://example.com/a', root: '/' })
    expect(ftp.status).toBe(400)
    const noRoot = await h.call('POST', '/files/pull', { url: `${originUrl}/x` })
    expect(noRoot.status).toBe(400)
  })

  it('stops the downloads of a deleted server', async () => {
    const start = await h.call('POST', '/files/pull', { url: `${originUrl}/slow`, root: '/' })
    const { identifier } = (await start.json()) as { identifier: string }
    const download = h.downloads.list(SERVER_UUID).find((d) => d.id === identifier)!
    h.downloads.cancelAll(h.server.uuid)
    await expect(download.done).rejects.toThrow()
    expect(h.downloads.list(SERVER_UUID)).toEqual([])
  })

  it('refuses a fourth simultaneous download', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await h.call('POST', '/files/pull', {
        url: `${originUrl}/slow`,
        root: '/',
        file_name: `s${i}`,
      })
      expect(res.status).toBe(202)
    }
    const fourth = await h.call('POST', '/files/pull', { url: `${originUrl}/slow`, root: '/' })
    expect(fourth.status).toBe(400)
    expect(await fourth.json()).toEqual({
      error:
        'This server has reached its limit of 3 simultaneous remote file downloads at once. Please wait for one to complete before trying again.',
    })
  })
})

describe('ownership', () => {
  it('gives written, uploaded, copied and created files to system.user', async () => {
    // Only root may give files away; elsewhere the daemon's own ids are the system user.
    const root = process.getuid?.() === 0
    const owner = root
      ? { uid: 4321, gid: 4322 }
      : { uid: process.getuid!(), gid: process.getgid!() }
    const h = await FilesHarness.start({ owner })
    try {
      await h.call('POST', '/files/write?file=dir/w.txt', 'w')
      const form = new FormData()
      form.append('files', new Blob(['u']), 'u.txt')
      await fetch(`${h.base}/upload/file?token=${h.mint('file-upload')}&directory=/dir`, {
        method: 'POST',
        body: form,
      })
      await h.call('POST', '/files/copy', { location: 'dir/w.txt' })
      await h.call('POST', '/files/create-directory', { name: 'made', path: '/dir' })
      for (const name of ['dir', 'dir/w.txt', 'dir/u.txt', 'dir/w copy.txt', 'dir/made']) {
        const info = await stat(path.join(h.root, name))
        expect([name, info.uid, info.gid]).toEqual([name, owner.uid, owner.gid])
      }
    } finally {
      await h.close()
    }
  })
})

describe('remote pull disabled', () => {
  it('answers every pull route with the spec 400', async () => {
    const h = await FilesHarness.start({ disableRemoteDownload: true })
    try {
      for (const [method, route] of [
        ['GET', '/files/pull'],
        ['POST', '/files/pull'],
        ['DELETE', '/files/pull/abc'],
      ] as const) {
        const res = await h.call(
          method,
          route,
          method === 'POST' ? { url: 'http://x/' } : undefined,
        )
        expect(res.status).toBe(400)
        expect(await res.json()).toEqual({
          error: 'This functionality is not currently enabled on this instance.',
        })
      }
    } finally {
      await h.close()
    }
  })
})
