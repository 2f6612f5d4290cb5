import { createHash, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'

/** The SFTP server's identity. */
export interface HostKey {
  /** The private key in OpenSSH's format, as ssh2 reads it. */
  readonly privateKey: string
  /** `ssh-ed25519 AAAA…`, the line a client's known_hosts holds. */
  readonly publicKey: string
  /** `SHA256:…`, as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string
  /** Whether this call created the key file. */
  readonly created: boolean
  /** Whether the file was readable by others and has been narrowed to 0600. */
  readonly tightened: boolean
}

/**
 * Reads the Ed25519 host key at `file` (PKCS#8 PEM `PRIVATE KEY`, as the reference writes it),
 * or creates it once (0600, parent directory 0700 when made here). The file appears whole or not
 * at all: it is written beside its name and linked into place, so two daemons starting at once
 * end up with the same key.
 */
export async function loadOrCreateHostKey(file: string): Promise<HostKey> {
  let pem: string
  let created = false
  let tightened = false
  try {
    pem = await fs.readFile(file, 'utf8')
    const { mode } = await fs.stat(file)
    if (mode & 0o077) {
      await fs.chmod(file, 0o600)
      tightened = true
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    ;({ pem, created } = await createKeyFile(file))
  }
  return { ...describe(pem, file), created, tightened }
}

async function createKeyFile(file: string): Promise<{ pem: string; created: boolean }> {
  const { privateKey } = generateKeyPairSync('ed25519')
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await fs.writeFile(temporary, pem, { flag: 'wx', mode: 0o600 })
    try {
      await fs.link(temporary, file)
      return { pem, created: true }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      return { pem: await fs.readFile(file, 'utf8'), created: false }
    }
  } finally {
    await fs.rm(temporary, { force: true })
  }
}

function describe(pem: string, file: string): Omit<HostKey, 'created' | 'tightened'> {
  let key
  try {
    key = createPrivateKey(pem)
  } catch (error) {
    throw new Error(`The SFTP host key ${file} is not a readable private key.`, { cause: error })
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`The SFTP host key ${file} is not an Ed25519 key.`)
  }
  const jwk = key.export({ format: 'jwk' })
  const seed = Buffer.from(jwk.d ?? '', 'base64url')
  const pub = Buffer.from(jwk.x ?? '', 'base64url')
  const blob = sshString(Buffer.from('ssh-ed25519'), pub)
  return {
    privateKey: openSshPrivateKey(seed, pub, blob),
    publicKey: `ssh-ed25519 ${blob.toString('base64')}`,
    fingerprint: `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`,
  }
}

/** `openssh-key-v1`, unencrypted, one key: the only private key format ssh2 reads for Ed25519. */
function openSshPrivateKey(seed: Buffer, pub: Buffer, publicBlob: Buffer): string {
  const check = randomBytes(4)
  const section = [
    check,
    check,
    sshString(Buffer.from('ssh-ed25519'), pub, Buffer.concat([seed, pub]), Buffer.alloc(0)),
  ]
  let body = Buffer.concat(section)
  const padding = Buffer.from(Array.from({ length: (8 - (body.length % 8)) % 8 }, (_, i) => i + 1))
  body = Buffer.concat([body, padding])
  const whole = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString(Buffer.from('none'), Buffer.from('none'), Buffer.alloc(0)),
    uint32(1),
    sshString(publicBlob, body),
  ])
  const lines = whole.toString('base64').match(/.{1,70}/g) ?? []
  return [
    '-----BEGIN OPENSSH PRIVATE KEY-----',
    ...lines,
    '-----END OPENSSH PRIVATE KEY-----',
  ].join('\n')
}

/** Each value as an SSH `string` (uint32 length, then the bytes), concatenated. */
function sshString(...values: Buffer[]): Buffer {
  return Buffer.concat(values.flatMap((value) => [uint32(value.length), value]))
}

function uint32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4)
  out.writeUInt32BE(value, 0)
  return out
}
