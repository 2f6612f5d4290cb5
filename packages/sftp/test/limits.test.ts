import { closeSync, openSync, readdirSync } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { InMemoryPanelGateway } from '@node/server-state/testing'
import { FakeClock } from '@node/shared-kernel/testing'
import { describe, expect, it, vi } from 'vitest'

import { PASSWORD, SERVER_UUID, startSftpServer, USERNAME } from './support/sftp-harness.js'
import { connectSftp, STATUS, statusOf } from './support/ssh-client.js'

const login = { username: USERNAME, password: PASSWORD }

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length
}

describe('SFTP handle cap', () => {
  it('refuses handles past the cap and releases every descriptor when the client vanishes', async () => {
    await using h = await startSftpServer({ limits: { maxHandlesPerSession: 6 } })
    await writeFile(path.join(h.root, 'a.txt'), 'a')
    await mkdir(path.join(h.root, 'd'))
    const before = openDescriptors()
    const c = await connectSftp(h.port, login)

    const opened = await Promise.all([
      c.call.open('/a.txt', 'r'),
      c.call.open('/a.txt', 'r'),
      c.call.opendir('/d'),
      c.call.opendir('/'),
      c.call.open('/upload-1.bin', 'w'),
      c.call.open('/upload-2.bin', 'w'),
    ])
    await c.call.readdirPage(opened[3])
    const seventh = await c.call.open('/a.txt', 'r').catch((error: unknown) => error)
    const eighth = await c.call.opendir('/d').catch((error: unknown) => error)

    expect(seventh).toMatchObject({ code: STATUS.FAILURE, message: 'Too many open handles' })
    expect(eighth).toMatchObject({ code: STATUS.FAILURE })
    expect(openDescriptors()).toBeGreaterThan(before + 6)
    c.client.destroy()
    await vi.waitFor(() => expect(h.server.connectionCount).toBe(0))
    await vi.waitFor(() => expect(openDescriptors()).toBeLessThanOrEqual(before))
    expect((await readdir(h.root)).sort()).toEqual(['a.txt', 'd'])
  })

  it('gives a slot back when a handle is closed', async () => {
    await using h = await startSftpServer({ limits: { maxHandlesPerSession: 1 } })
    await writeFile(path.join(h.root, 'a.txt'), 'a')
    await using c = await connectSftp(h.port, login)

    const first = await c.call.open('/a.txt', 'r')
    expect(await statusOf(c.call.open('/a.txt', 'r'))).toBe(STATUS.FAILURE)
    await c.call.close(first)

    expect(await statusOf(c.call.open('/a.txt', 'r').then((h2) => c.call.close(h2)))).toBe('ok')
  })
})

describe('SFTP revocation', () => {
  function twoUsers(): InMemoryPanelGateway {
    const panel = new InMemoryPanelGateway()
    panel.addSftpUser(USERNAME, { password: PASSWORD, server: SERVER_UUID, permissions: ['*'] })
    panel.addSftpUser('bob.d3aac109', { password: 'bob', server: SERVER_UUID, permissions: ['*'] })
    return panel
  }

  it('closes a user’s live session at once, dropping the upload in flight, and leaves others', async () => {
    await using h = await startSftpServer({ panel: twoUsers() })
    await using alice = await connectSftp(h.port, login)
    await using bob = await connectSftp(h.port, { username: 'bob.d3aac109', password: 'bob' })
    const upload = await alice.call.open('/upload.bin', 'w')
    await alice.call.write(upload, Buffer.alloc(4096, 1), 0)

    // The in-memory Panel uses the login name as the user id.
    const closed = h.server.disconnectUser(USERNAME, SERVER_UUID)

    expect(closed).toBe(1)
    await alice.ended
    await vi.waitFor(async () => expect(await readdir(h.root)).toEqual([]))
    expect(await bob.call.realpath('.')).toBe('/')
    expect(h.server.disconnectUser(USERNAME, SERVER_UUID)).toBe(0)
  })

  it('closes every session on a server, and every connection at all', async () => {
    await using h = await startSftpServer({ panel: twoUsers() })
    const alice = await connectSftp(h.port, login)
    const bob = await connectSftp(h.port, { username: 'bob.d3aac109', password: 'bob' })

    expect(h.server.disconnectServer('00000000-0000-0000-0000-000000000000')).toBe(0)
    expect(h.server.disconnectServer(SERVER_UUID)).toBe(2)

    await Promise.all([alice.ended, bob.ended])
    const again = await connectSftp(h.port, login)
    expect(h.server.disconnectAll()).toBe(1)
    await again.ended
  })

  it('closes a user on every server when no server is named', async () => {
    await using h = await startSftpServer()
    const alice = await connectSftp(h.port, login)

    expect(h.server.disconnectUser(USERNAME)).toBe(1)

    await alice.ended
  })
})

describe('SFTP idle timeout', () => {
  it('closes a session that sends nothing for the idle timeout, counting from its last request', async () => {
    const clock = new FakeClock()
    await using h = await startSftpServer({ clock, limits: { idleTimeoutMs: 60_000 } })
    await using c = await connectSftp(h.port, login)
    let ended = false
    void c.ended.then(() => (ended = true))

    clock.advance(45_000)
    await c.call.realpath('.')
    clock.advance(45_000)
    await c.call.realpath('.')
    expect(ended).toBe(false)
    clock.advance(60_000)

    await c.ended
  })
})

describe('SFTP listing of a huge directory', () => {
  it('lists 100 000 entries a page of at most 100 at a time, answering other requests between pages', async () => {
    await using h = await startSftpServer()
    const dir = path.join(h.root, 'huge')
    await mkdir(dir)
    for (let i = 0; i < 100_000; i++) closeSync(openSync(path.join(dir, `f${i}`), 'w'))
    await using c = await connectSftp(h.port, login)
    const handle = await c.call.opendir('/huge')

    const names = new Set<string>()
    let pages = 0
    let largest = 0
    for (;;) {
      const [page, side] = await Promise.all([c.call.readdirPage(handle), c.call.stat('/huge')])
      expect(side.isDirectory()).toBe(true)
      if (page === false) break
      pages++
      largest = Math.max(largest, page.length)
      for (const entry of page) names.add(entry.filename)
    }

    expect(names.size).toBe(100_000)
    expect(largest).toBeLessThanOrEqual(100)
    expect(pages).toBeGreaterThanOrEqual(1_000)
  })
})
