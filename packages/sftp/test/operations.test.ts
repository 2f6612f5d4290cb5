import { lstat, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

import {
  ALL_FILE_PERMISSIONS,
  startSimPanel,
  SUBUSER_LOGIN,
  SUBUSER_PASSWORD,
} from './support/panel.js'
import { PASSWORD, SERVER_UUID, startSftpServer, USERNAME } from './support/sftp-harness.js'
import { connectSftp, STATUS, statusOf, type SftpClient } from './support/ssh-client.js'

const login = { username: USERNAME, password: PASSWORD }

/** The files every probe run starts from. */
async function seed(root: string): Promise<void> {
  await writeFile(path.join(root, 'existing.txt'), 'existing')
  await writeFile(path.join(root, 'victim.txt'), 'victim')
  await mkdir(path.join(root, 'dir', 'nested'), { recursive: true })
  await writeFile(path.join(root, 'dir', 'nested', 'deep.txt'), 'deep')
}

/** One SFTP operation of each kind; 'ok' or the status it was refused with. */
async function probe(c: SftpClient): Promise<Record<string, number | 'ok'>> {
  const { call } = c
  return {
    list: await statusOf(call.readdir('/')),
    stat: await statusOf(call.stat('/existing.txt')),
    read: await statusOf(
      (async () => {
        const handle = await call.open('/existing.txt', 'r')
        await call.read(handle, 16, 0)
        await call.close(handle)
      })(),
    ),
    create: await statusOf(call.writeFile('/new.txt', 'new')),
    update: await statusOf(call.open('/existing.txt', 'w').then((h) => call.close(h))),
    mkdir: await statusOf(call.mkdir('/newdir')),
    setstat: await statusOf(call.setstat('/existing.txt', { mode: 0o600 })),
    rename: await statusOf(call.rename('/existing.txt', '/renamed.txt')),
    remove: await statusOf(call.unlink('/victim.txt')),
    rmdir: await statusOf(call.rmdir('/dir')),
  }
}

const ALL_OK = {
  list: 'ok',
  stat: 'ok',
  read: 'ok',
  create: 'ok',
  update: 'ok',
  mkdir: 'ok',
  setstat: 'ok',
  rename: 'ok',
  remove: 'ok',
  rmdir: 'ok',
} as const

describe('SFTP permissions from the Panel', () => {
  it.each([
    ['file.read', ['list', 'stat']],
    ['file.read-content', ['read']],
    ['file.create', ['create', 'mkdir']],
    ['file.update', ['update', 'setstat', 'rename']],
    ['file.delete', ['remove', 'rmdir']],
  ])('without %s, refuses exactly %j', async (removed, refused) => {
    await using panel = await startSimPanel()
    panel.setPermissions(ALL_FILE_PERMISSIONS.filter((p) => p !== removed))
    await using h = await startSftpServer({ panel: panel.gateway })
    await seed(h.root)
    await using c = await connectSftp(h.port, {
      username: SUBUSER_LOGIN,
      password: SUBUSER_PASSWORD,
    })

    const results = await probe(c)

    const expected: Record<string, number | 'ok'> = { ...ALL_OK }
    for (const name of refused) expected[name] = STATUS.PERMISSION_DENIED
    expect(results).toEqual(expected)
  })

  it('with every permission, does each operation on the disk', async () => {
    await using panel = await startSimPanel()
    await using h = await startSftpServer({ panel: panel.gateway })
    await seed(h.root)
    await using c = await connectSftp(h.port, {
      username: SUBUSER_LOGIN,
      password: SUBUSER_PASSWORD,
    })

    expect(await probe(c)).toEqual(ALL_OK)

    expect((await readdir(h.root)).sort()).toEqual(['new.txt', 'newdir', 'renamed.txt'])
    expect(await readFile(path.join(h.root, 'renamed.txt'), 'utf8')).toBe('')
    expect((await stat(path.join(h.root, 'renamed.txt'))).mode & 0o777).toBe(0o600)
  })
})

describe('SFTP refusals by mode and server state', () => {
  it('answers "operation unsupported" to every write in read-only mode', async () => {
    await using h = await startSftpServer({ readOnly: true })
    await seed(h.root)
    await using c = await connectSftp(h.port, login)

    const unsupported = STATUS.OP_UNSUPPORTED
    expect(await probe(c)).toEqual({
      ...ALL_OK,
      create: unsupported,
      update: unsupported,
      mkdir: unsupported,
      setstat: unsupported,
      rename: unsupported,
      remove: unsupported,
      rmdir: unsupported,
    })
    expect((await readdir(h.root)).sort()).toEqual(['dir', 'existing.txt', 'victim.txt'])
  })

  it.each(['suspended', 'installing', 'restoring', 'transferring'] as const)(
    'refuses everything while the server is %s, from the next request on',
    async (flag) => {
      await using h = await startSftpServer()
      await seed(h.root)
      await using c = await connectSftp(h.port, login)
      const handle = await c.call.open('/existing.txt', 'r')

      h.view[flag] = true

      const denied = STATUS.PERMISSION_DENIED
      expect(await probe(c)).toEqual(
        Object.fromEntries(Object.keys(ALL_OK).map((k) => [k, denied])),
      )
      expect(await statusOf(c.call.read(handle, 4, 0))).toBe(denied)
      h.view[flag] = false
      expect((await c.call.read(handle, 4, 0)).toString()).toBe('exis')
    },
  )

  it('ends the session when the server is removed from the node', async () => {
    await using h = await startSftpServer()
    await using c = await connectSftp(h.port, login)

    h.view.present = false

    expect(await statusOf(c.call.stat('/'))).toBe(STATUS.FAILURE)
    await c.ended
  })
})

describe('SFTP operations', () => {
  it('renames without replacing, creating missing parents', async () => {
    await using h = await startSftpServer()
    await seed(h.root)
    await using c = await connectSftp(h.port, login)

    expect(await statusOf(c.call.rename('/existing.txt', '/victim.txt'))).toBe(STATUS.FAILURE)
    await c.call.rename('/existing.txt', '/a/b/moved.txt')

    expect(await readFile(path.join(h.root, 'victim.txt'), 'utf8')).toBe('victim')
    expect(await readFile(path.join(h.root, 'a/b/moved.txt'), 'utf8')).toBe('existing')
  })

  it('removes files, refuses REMOVE on a directory, and RMDIR removes a whole tree', async () => {
    await using h = await startSftpServer()
    await seed(h.root)
    await using c = await connectSftp(h.port, login)

    expect(await statusOf(c.call.unlink('/missing.txt'))).toBe(STATUS.NO_SUCH_FILE)
    expect(await statusOf(c.call.unlink('/dir'))).toBe(STATUS.FAILURE)
    expect(await statusOf(c.call.rmdir('/existing.txt'))).toBe(STATUS.FAILURE)
    expect(await statusOf(c.call.rmdir('/'))).toBe(STATUS.PERMISSION_DENIED)
    await c.call.unlink('/victim.txt')
    await c.call.rmdir('/dir')

    expect(await readdir(h.root)).toEqual(['existing.txt'])
  })

  it('makes directories with their parents, and an existing one is no error', async () => {
    await using h = await startSftpServer()
    await using c = await connectSftp(h.port, login)

    await c.call.mkdir('/x/y/z')
    await c.call.mkdir('/x/y')

    expect((await stat(path.join(h.root, 'x/y/z'))).mode & 0o777).toBe(0o755)
  })

  it('opens for writing only as the flags say: no create without CREAT, no EXCL over a file, no append', async () => {
    await using h = await startSftpServer()
    await seed(h.root)
    await using c = await connectSftp(h.port, login)

    expect(await statusOf(c.call.open('/missing.txt', 'r+'))).toBe(STATUS.NO_SUCH_FILE)
    expect(await statusOf(c.call.open('/existing.txt', 'wx'))).toBe(STATUS.FAILURE)
    expect(await statusOf(c.call.open('/existing.txt', 'a'))).toBe(STATUS.OP_UNSUPPORTED)
    expect(await statusOf(c.call.open('/dir', 'w'))).toBe(STATUS.FAILURE)
    expect(await statusOf(c.call.open('/dir', 'r'))).toBe(STATUS.FAILURE)
    expect(await statusOf(c.call.open('/missing.txt', 'r'))).toBe(STATUS.NO_SUCH_FILE)
  })

  it('truncates an existing file opened for writing, keeping its mode', async () => {
    await using h = await startSftpServer()
    await seed(h.root)
    await using c = await connectSftp(h.port, login)
    await c.call.setstat('/existing.txt', { mode: 0o640 })

    await c.call.writeFile('/existing.txt', 'new')

    expect(await readFile(path.join(h.root, 'existing.txt'), 'utf8')).toBe('new')
    expect((await stat(path.join(h.root, 'existing.txt'))).mode & 0o777).toBe(0o640)
  })

  it('applies SETSTAT as the reference: permission bits only, 0 becomes 0644, a directory mode 0755', async () => {
    await using h = await startSftpServer()
    await seed(h.root)
    await using c = await connectSftp(h.port, login)

    await c.call.setstat('/existing.txt', { mode: 0o4777 })
    const afterSetuid = (await stat(path.join(h.root, 'existing.txt'))).mode & 0o7777
    await c.call.setstat('/existing.txt', { mode: 0 })
    const afterZero = (await stat(path.join(h.root, 'existing.txt'))).mode & 0o7777
    await c.call.setstat('/dir', { mode: 0o40700 })

    expect(afterSetuid).toBe(0o777)
    expect(afterZero).toBe(0o644)
    expect((await stat(path.join(h.root, 'dir'))).mode & 0o777).toBe(0o755)
  })

  it('reports attributes with STAT, LSTAT and FSTAT, and answers REALPATH lexically', async () => {
    await using h = await startSftpServer()
    await seed(h.root)
    await using c = await connectSftp(h.port, login)
    const handle = await c.call.open('/existing.txt', 'r')

    const viaStat = await c.call.stat('/dir/../existing.txt')
    const viaFstat = await c.call.fstat(handle)

    expect(viaStat.size).toBe(8)
    expect(viaStat.isFile()).toBe(true)
    expect(viaFstat.size).toBe(8)
    expect((await c.call.lstat('/dir')).isDirectory()).toBe(true)
    expect(await statusOf(c.call.stat('/missing'))).toBe(STATUS.NO_SUCH_FILE)
    expect(await c.call.realpath('.')).toBe('/')
    expect(await c.call.realpath('/../../x/./y/..')).toBe('/x')
  })

  it('lists a directory with ls -l lines', async () => {
    await using h = await startSftpServer()
    await seed(h.root)
    await using c = await connectSftp(h.port, login)

    const entries = await c.call.readdir('/dir')

    expect(entries.map((e) => e.filename)).toEqual(['nested'])
    expect(entries[0]!.longname).toMatch(
      /^drwxr-xr-x +\d+ +\d+ +\d+ +\d+ \w{3} [ \d]\d [\d: ]{5} nested$/,
    )
  })

  it('refuses files on the egg deny list', async () => {
    await using h = await startSftpServer({ jail: { denylist: ['*.secret'] } })
    await using c = await connectSftp(h.port, login)

    expect(await statusOf(c.call.writeFile('/keys.secret', 'x'))).toBe(STATUS.PERMISSION_DENIED)
    expect(await readdir(h.root)).toEqual([])
  })

  it('records activity for writes, creates, directories, renames and deletes', async () => {
    await using h = await startSftpServer()
    await seed(h.root)
    await using c = await connectSftp(h.port, login)

    await c.call.writeFile('/existing.txt', 'changed')
    await c.call.writeFile('/fresh.txt', 'new')
    await c.call.mkdir('/made')
    await c.call.rename('/fresh.txt', '/made/fresh.txt')
    await c.call.unlink('/victim.txt')
    await c.call.rmdir('/dir')
    await c.call.readFile('/existing.txt')

    expect(h.activity.map(({ event, metadata }) => ({ event, metadata }))).toEqual([
      { event: 'server:sftp.write', metadata: { files: ['/existing.txt'] } },
      { event: 'server:sftp.create', metadata: { files: ['/fresh.txt'] } },
      { event: 'server:sftp.create-directory', metadata: { files: ['/made'] } },
      {
        event: 'server:sftp.rename',
        metadata: { files: [{ from: '/fresh.txt', to: '/made/fresh.txt' }] },
      },
      { event: 'server:sftp.delete', metadata: { files: ['/victim.txt'] } },
      { event: 'server:sftp.delete', metadata: { files: ['/dir'] } },
    ])
    expect(h.activity[0]).toMatchObject({ server: SERVER_UUID, user: USERNAME, ip: '127.0.0.1' })
  })
})

describe('SFTP and symbolic links', () => {
  async function linked(root: string): Promise<void> {
    await seed(root)
    await symlink('/etc', path.join(root, 'etc-link'))
    await symlink('/etc/passwd', path.join(root, 'passwd-link'))
    await symlink('../../../../../../..', path.join(root, 'up'))
    await symlink('existing.txt', path.join(root, 'inner-link'))
  }

  it('never follows a link out of the root, for reading, listing or writing', async () => {
    await using h = await startSftpServer()
    await linked(h.root)
    await using c = await connectSftp(h.port, login)

    const results = {
      readPasswd: await statusOf(c.call.readFile('/passwd-link')),
      readThroughDir: await statusOf(c.call.readFile('/etc-link/hostname')),
      readThroughUp: await statusOf(c.call.readFile('/up/etc/hostname')),
      listEtc: await statusOf(c.call.readdir('/etc-link')),
      listUp: await statusOf(c.call.readdir('/up/etc')),
      writeThroughDir: await statusOf(c.call.writeFile('/etc-link/sftp-escape', 'x')),
      overwriteLink: await statusOf(c.call.writeFile('/passwd-link', 'x')),
      mkdirThroughDir: await statusOf(c.call.mkdir('/up/tmp/sftp-escape')),
      renameOut: await statusOf(c.call.rename('/existing.txt', '/etc-link/sftp-escape')),
      traversal: await statusOf(c.call.readFile('/../../../../etc/passwd')),
    }

    expect(
      Object.values(results).every((r) => r === STATUS.NO_SUCH_FILE || r === STATUS.FAILURE),
    ).toBe(true)
    expect(results.readPasswd).toBe(STATUS.NO_SUCH_FILE)
    await expect(lstat('/etc/sftp-escape')).rejects.toThrow(/ENOENT/)
    await expect(lstat('/tmp/sftp-escape')).rejects.toThrow(/ENOENT/)
    expect(await readFile(path.join(h.root, 'existing.txt'), 'utf8')).toBe('existing')
  })

  it('describes links as links, removes the link and not its target', async () => {
    await using h = await startSftpServer()
    await linked(h.root)
    await using c = await connectSftp(h.port, login)

    expect((await c.call.lstat('/etc-link')).isSymbolicLink()).toBe(true)
    expect((await c.call.stat('/passwd-link')).isSymbolicLink()).toBe(true)
    expect(await statusOf(c.call.readFile('/inner-link'))).toBe(STATUS.NO_SUCH_FILE)
    const listing = await c.call.readdir('/')
    expect(listing.find((e) => e.filename === 'etc-link')?.longname).toMatch(/^l/)
    await c.call.unlink('/etc-link')

    expect((await stat('/etc')).isDirectory()).toBe(true)
    await expect(lstat(path.join(h.root, 'etc-link'))).rejects.toThrow(/ENOENT/)
  })

  it('refuses to create links or read them, and creates nothing', async () => {
    await using h = await startSftpServer()
    await seed(h.root)
    await using c = await connectSftp(h.port, login)

    expect(await statusOf(c.call.symlink('/etc/passwd', '/made-link'))).toBe(STATUS.OP_UNSUPPORTED)
    expect(await statusOf(c.call.symlink('existing.txt', '/inside-link'))).toBe(
      STATUS.OP_UNSUPPORTED,
    )
    expect(await statusOf(c.call.readlink('/existing.txt'))).toBe(STATUS.OP_UNSUPPORTED)

    expect((await readdir(h.root)).sort()).toEqual(['dir', 'existing.txt', 'victim.txt'])
  })
})

describe('SFTP handles', () => {
  it('answers FAILURE for a handle it never gave out, and for one already closed', async () => {
    await using h = await startSftpServer()
    await seed(h.root)
    await using c = await connectSftp(h.port, login)
    const handle = await c.call.open('/existing.txt', 'r')
    await c.call.close(handle)

    expect(await statusOf(c.call.read(handle, 4, 0))).toBe(STATUS.FAILURE)
    expect(await statusOf(c.call.read(Buffer.from('bogus-handle'), 4, 0))).toBe(STATUS.FAILURE)
    expect(await statusOf(c.call.close(handle))).toBe(STATUS.FAILURE)
  })

  it('reads at any offset and reports the end of the file', async () => {
    await using h = await startSftpServer()
    await seed(h.root)
    await using c = await connectSftp(h.port, login)
    const handle = await c.call.open('/existing.txt', 'r')

    expect((await c.call.read(handle, 3, 5)).toString()).toBe('ing')
    // ssh2's client turns the EOF status into a read of 0 bytes.
    expect((await c.call.read(handle, 4, 8)).length).toBe(0)
  })
})
