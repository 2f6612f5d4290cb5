import { lstat, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { createTempDir } from '@node/testkit'
import { describe, expect, it } from 'vitest'

import { run, openSshSetup } from './support/openssh.js'
import {
  generateClientKey,
  startSimPanel,
  SUBUSER_LOGIN,
  SUBUSER_PASSWORD,
} from './support/panel.js'
import { startSftpServer } from './support/sftp-harness.js'
import { MiB, randomFile, sha256Of } from './support/files.js'

async function setup() {
  const key = generateClientKey()
  const panel = await startSimPanel({ key })
  const h = await startSftpServer({ panel: panel.gateway })
  const local = await createTempDir()
  const ssh = await openSshSetup(local.path, {
    port: h.port,
    hostPublicKey: h.server.hostKey!.publicKey,
    privateKey: key.privateKey,
    password: SUBUSER_PASSWORD,
  })
  const keyLogin = [
    ...ssh.options,
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-i',
    ssh.keyFile,
  ]
  return {
    panel,
    h,
    local: local.path,
    ssh,
    keyLogin,
    async [Symbol.asyncDispose]() {
      await h.close()
      await panel.close()
      await local[Symbol.asyncDispose]()
    },
  }
}

describe('OpenSSH sftp against the server', () => {
  it('logs in with a key, checks the host key, and moves a large file both ways byte for byte', async () => {
    await using t = await setup()
    const source = path.join(t.local, 'source.bin')
    const digest = await randomFile(source, 24 * MiB + 7)
    const back = path.join(t.local, 'back.bin')
    const batch = path.join(t.local, 'batch')
    await writeFile(
      batch,
      [`put ${source} /upload.bin`, `get /upload.bin ${back}`, 'ls -l /'].join('\n') + '\n',
    )

    const result = await run('sftp', [
      ...t.keyLogin,
      '-P',
      String(t.h.port),
      '-b',
      batch,
      `${SUBUSER_LOGIN}@127.0.0.1`,
    ])

    expect(result.stderr).not.toMatch(/error|fail|denied/i)
    expect(result.code).toBe(0)
    expect(await sha256Of(path.join(t.h.root, 'upload.bin'))).toBe(digest)
    expect(await sha256Of(back)).toBe(digest)
    expect(result.stdout).toMatch(
      /-rw-r--r-- +1 +\d+ +\d+ +25165831 \w{3} [ \d]\d [\d: ]{5} upload\.bin/,
    )
  })

  it('logs in with the Panel password through askpass and manages files', async () => {
    await using t = await setup()
    await writeFile(path.join(t.h.root, 'server.properties'), 'motd=hi\n')
    const commands = [
      'mkdir /plugins',
      'rename /server.properties /plugins/server.properties',
      'chmod 600 /plugins/server.properties',
      'mkdir /old',
      'rmdir /old',
      'ls -1 /plugins',
      'bye',
    ]

    const result = await run(
      'sftp',
      [
        ...t.ssh.options,
        '-o',
        'PubkeyAuthentication=no',
        '-o',
        'PreferredAuthentications=password',
        '-o',
        'NumberOfPasswordPrompts=1',
        '-P',
        String(t.h.port),
        `${SUBUSER_LOGIN}@127.0.0.1`,
      ],
      { input: commands.join('\n') + '\n', env: t.ssh.askpassEnv },
    )

    expect(result.code).toBe(0)
    expect(result.stdout).toContain('server.properties')
    expect((await readdir(t.h.root)).sort()).toEqual(['plugins'])
    const moved = path.join(t.h.root, 'plugins', 'server.properties')
    expect(await readFile(moved, 'utf8')).toBe('motd=hi\n')
    expect((await stat(moved)).mode & 0o777).toBe(0o600)
    expect(t.panel.sim.callsTo('/api/remote/sftp/auth', 'POST').map((c) => c.status)).toEqual([200])
  })

  it('refuses a wrong password', async () => {
    await using t = await setup()

    const result = await run(
      'sftp',
      [
        ...t.ssh.options,
        '-o',
        'PubkeyAuthentication=no',
        '-o',
        'NumberOfPasswordPrompts=1',
        '-P',
        String(t.h.port),
        `${SUBUSER_LOGIN}@127.0.0.1`,
      ],
      { input: 'ls\n', env: { ...t.ssh.askpassEnv, SSH_ASKPASS: '/bin/false' } },
    )

    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(/Permission denied/)
  })

  it('is refused symbolic links, and a link planted in the root leads nowhere outside', async () => {
    await using t = await setup()
    const { symlink } = await import('node:fs/promises')
    await symlink('/etc', path.join(t.h.root, 'etc-link'))
    const batch = path.join(t.local, 'batch')
    await writeFile(
      batch,
      [
        '-ln -s /etc/passwd /passwd',
        '-ln -s /etc/shadow shadow',
        `-get /etc-link/passwd ${path.join(t.local, 'stolen')}`,
        `-put ${batch} /etc-link/sftp-planted`,
        '-ls /etc-link/',
      ].join('\n') + '\n',
    )

    const result = await run('sftp', [
      ...t.keyLogin,
      '-P',
      String(t.h.port),
      '-b',
      batch,
      `${SUBUSER_LOGIN}@127.0.0.1`,
    ])

    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/symlink.*(unsupported|Failure)/i)
    expect((await readdir(t.h.root)).sort()).toEqual(['etc-link'])
    await expect(lstat(path.join(t.local, 'stolen'))).rejects.toThrow(/ENOENT/)
    await expect(lstat('/etc/sftp-planted')).rejects.toThrow(/ENOENT/)
  })

  it('refuses ssh exec and subsystems other than sftp', async () => {
    await using t = await setup()
    const target = ['-p', String(t.h.port), `${SUBUSER_LOGIN}@127.0.0.1`]

    const exec = await run('ssh', [...t.keyLogin, ...target, 'id'])
    const subsystem = await run('ssh', [...t.keyLogin, '-s', ...target, 'netconf'])
    const shell = await run('ssh', [...t.keyLogin, '-tt', ...target])

    expect(exec.code).not.toBe(0)
    expect(exec.stderr).toMatch(/exec request failed/)
    expect(subsystem.stderr).toMatch(/subsystem request failed/)
    expect(shell.code).not.toBe(0)
    expect(`${exec.stdout}${subsystem.stdout}${shell.stdout}`).not.toMatch(/uid=/)
  })
})
