import { createHash } from 'node:crypto'

/**
 * The SHA-256 fingerprint (`SHA256:<base64, no padding>`) of a public key in authorized_keys form,
 * or null when the text is not one (the Panel's "could not load key" case).
 */
export function sshKeyFingerprint(text: string): string | null {
  const fields = text.trim().split(/\s+/)
  const type = fields[0]
  const data = fields[1]
  if (type === undefined || data === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return null
  const blob = Buffer.from(data, 'base64')
  if (blob.length < 4) return null
  const typeLength = blob.readUInt32BE(0)
  if (typeLength > blob.length - 4 || blob.toString('latin1', 4, 4 + typeLength) !== type) {
    return null
  }
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}
