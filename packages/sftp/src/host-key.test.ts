import { generateKeyPairSync } from 'node:crypto'
import { readFile, stat, writeFile, chmod } from 'node:fs/promises'
import path from 'node:path'

import { createTempDir } from '@node/testkit'
import { utils } from 'ssh2'
import { describe, expect, it } from 'vitest'

import { loadOrCreateHostKey } from './host-key.js'

describe('loadOrCreateHostKey', () => {
  it('creates an Ed25519 PKCS#8 key once, mode 0600, in a new 0700 directory', async () => {
    await using dir = await createTempDir()
    const file = path.join(dir.path, '.sftp', 'id_ed25519')

    const key = await loadOrCreateHostKey(file)

    expect(key.created).toBe(true)
    expect((await readFile(file, 'utf8')).startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700)
    expect(key.publicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+=*$/)
  })

  it('keeps the key: a second load answers the same identity without rewriting the file', async () => {
    await using dir = await createTempDir()
    const file = path.join(dir.path, 'id_ed25519')
    const first = await loadOrCreateHostKey(file)
    const pem = await readFile(file, 'utf8')

    const second = await loadOrCreateHostKey(file)

    expect(second.created).toBe(false)
    expect(second.fingerprint).toBe(first.fingerprint)
    expect(await readFile(file, 'utf8')).toBe(pem)
  })

  it('hands ssh2 a private key that signs for the same public key', async () => {
    await using dir = await createTempDir()

    const key = await loadOrCreateHostKey(path.join(dir.path, 'id_ed25519'))

    const parsed = utils.parseKey(key.privateKey)
    if (parsed instanceof Error) throw parsed
    const signature = parsed.sign(Buffer.from('data'))
    const pub = utils.parseKey(key.publicKey)
    if (pub instanceof Error) throw pub
    expect(pub.verify(Buffer.from('data'), signature)).toBe(true)
  })

  it('makes two racing creations agree on one key', async () => {
    await using dir = await createTempDir()
    const file = path.join(dir.path, 'id_ed25519')

    const [a, b] = await Promise.all([loadOrCreateHostKey(file), loadOrCreateHostKey(file)])

    expect(a.fingerprint).toBe(b.fingerprint)
    expect([a.created, b.created].filter(Boolean)).toHaveLength(1)
  })

  it('narrows a key file readable by others to 0600', async () => {
    await using dir = await createTempDir()
    const file = path.join(dir.path, 'id_ed25519')
    await loadOrCreateHostKey(file)
    await chmod(file, 0o644)

    const key = await loadOrCreateHostKey(file)

    expect(key.tightened).toBe(true)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('refuses a key that is not Ed25519', async () => {
    await using dir = await createTempDir()
    const file = path.join(dir.path, 'id_ed25519')
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })

    await expect(loadOrCreateHostKey(file)).rejects.toThrow(/is not an Ed25519 key/)
  })
})
