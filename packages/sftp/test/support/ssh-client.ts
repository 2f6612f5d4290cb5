import { promisify } from 'node:util'

import { Client, type ConnectConfig, type OpenMode, type SFTPWrapper, type Stats } from 'ssh2'

export interface Login {
  readonly username: string
  readonly password?: string
  /** OpenSSH-format private key. */
  readonly privateKey?: string
}

/** An ssh2 client connected and logged in, closed on dispose. */
export interface SshSession extends AsyncDisposable {
  readonly client: Client
  /** Resolves when the server has closed the connection (or it was closed here). */
  readonly ended: Promise<void>
  close(): Promise<void>
}

/** Connects to 127.0.0.1:`port` and logs in; rejects with ssh2's error when the login fails. */
export async function connectSsh(
  port: number,
  login: Login,
  extra: Partial<ConnectConfig> = {},
): Promise<SshSession> {
  const client = new Client()
  const ended = new Promise<void>((resolve) => client.once('close', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => {
      client.off('error', reject)
      resolve()
    })
    client.once('error', reject)
    client.connect({
      host: '127.0.0.1',
      port,
      readyTimeout: 20_000,
      ...login,
      ...extra,
    })
  })
  // Later errors (the server closing the connection) end the session; they are not test failures.
  client.on('error', () => undefined)
  // ssh2's client sends a request in several small writes: with Nagle on, each request/answer
  // round trip would wait for the server's delayed ACK (40 ms).
  client.setNoDelay(true)
  const close = async (): Promise<void> => {
    client.end()
    await ended
  }
  return { client, ended, close, [Symbol.asyncDispose]: close }
}

/** A logged-in connection with its SFTP channel and promise-returning calls. */
export interface SftpClient extends SshSession {
  readonly sftp: SFTPWrapper
  readonly call: SftpCalls
}

export async function connectSftp(
  port: number,
  login: Login,
  extra: Partial<ConnectConfig> = {},
): Promise<SftpClient> {
  const session = await connectSsh(port, login, extra)
  try {
    const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
      session.client.sftp((error, channel) => (error ? reject(error) : resolve(channel))),
    )
    return { ...session, sftp, call: sftpCalls(sftp) }
  } catch (error) {
    await session.close()
    throw error
  }
}

interface SftpCalls {
  open(path: string, flags: OpenMode | number, attrs?: { mode?: number }): Promise<Buffer>
  close(handle: Buffer): Promise<void>
  read(handle: Buffer, length: number, position: number): Promise<Buffer>
  write(handle: Buffer, data: Buffer, position: number): Promise<void>
  fstat(handle: Buffer): Promise<Stats>
  stat(path: string): Promise<Stats>
  lstat(path: string): Promise<Stats>
  setstat(path: string, attrs: { mode?: number }): Promise<void>
  opendir(path: string): Promise<Buffer>
  readdirPage(handle: Buffer): Promise<{ filename: string; longname: string }[] | false>
  readdir(path: string): Promise<{ filename: string; longname: string; attrs: Stats }[]>
  unlink(path: string): Promise<void>
  rmdir(path: string): Promise<void>
  mkdir(path: string): Promise<void>
  rename(from: string, to: string): Promise<void>
  realpath(path: string): Promise<string>
  readlink(path: string): Promise<string>
  symlink(target: string, link: string): Promise<void>
  fastPut(local: string, remote: string): Promise<void>
  fastGet(remote: string, local: string): Promise<void>
  writeFile(path: string, data: Buffer | string): Promise<void>
  readFile(path: string): Promise<Buffer>
}

function sftpCalls(sftp: SFTPWrapper): SftpCalls {
  const p = <T>(fn: (cb: (error: Error | null | undefined, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) =>
      fn((error, value) => (error ? reject(error) : resolve(value as T))),
    )
  return {
    open: (path, flags, attrs) => p((cb) => sftp.open(path, flags, attrs ?? {}, cb)),
    close: (handle) => p((cb) => sftp.close(handle, cb)),
    read: async (handle, length, position) => {
      const buffer = Buffer.alloc(length)
      const bytes = await p<number>((cb) =>
        sftp.read(handle, buffer, 0, length, position, (error, n) => cb(error, n)),
      )
      return buffer.subarray(0, bytes)
    },
    write: (handle, data, position) =>
      p((cb) => sftp.write(handle, data, 0, data.length, position, cb)),
    fstat: (handle) => p((cb) => sftp.fstat(handle, cb)),
    stat: (path) => p((cb) => sftp.stat(path, cb)),
    lstat: (path) => p((cb) => sftp.lstat(path, cb)),
    setstat: (path, attrs) => p((cb) => sftp.setstat(path, attrs, cb)),
    opendir: (path) => p((cb) => sftp.opendir(path, cb)),
    readdirPage: (handle) =>
      p((cb) =>
        sftp.readdir(handle, (error, list) => {
          // ssh2 reports the end of a listing as an error with code EOF (1).
          if (error && (error as { code?: unknown }).code === 1) cb(undefined, false)
          else cb(error, list)
        }),
      ),
    readdir: (path) => p((cb) => sftp.readdir(path, cb)),
    unlink: (path) => p((cb) => sftp.unlink(path, cb)),
    rmdir: (path) => p((cb) => sftp.rmdir(path, cb)),
    mkdir: (path) => p((cb) => sftp.mkdir(path, cb)),
    rename: (from, to) => p((cb) => sftp.rename(from, to, cb)),
    realpath: (path) => p((cb) => sftp.realpath(path, cb)),
    readlink: (path) => p((cb) => sftp.readlink(path, cb)),
    symlink: (target, link) => p((cb) => sftp.symlink(target, link, cb)),
    fastPut: (local, remote) => p((cb) => sftp.fastPut(local, remote, cb)),
    fastGet: (remote, local) => p((cb) => sftp.fastGet(remote, local, cb)),
    writeFile: (path, data) => promisify(sftp.writeFile.bind(sftp))(path, data),
    readFile: (path) => p((cb) => sftp.readFile(path, cb)),
  }
}

/** The SFTP status code a call failed with (ssh2 puts it on `error.code`). */
export async function statusOf(call: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await call
    return 'ok'
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code !== 'number') throw error
    return code
  }
}

export const STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  OP_UNSUPPORTED: 8,
  QUOTA_EXCEEDED: 15,
} as const
