import { createHmac } from 'node:crypto'

export type ForgedSignature =
  { readonly hmac: 'sha256' | 'sha384' | 'sha512'; readonly key: string } | { readonly raw: string }

/**
 * Assembles a compact JWS by hand, for tokens no honest signer makes: odd headers, payloads
 * that are not objects, fractional times, bad signatures. Strings are encoded as given.
 */
export function forgeToken(header: unknown, payload: unknown, signature: ForgedSignature): string {
  const input = `${segment(header)}.${segment(payload)}`
  if ('raw' in signature) return `${input}.${signature.raw}`
  return `${input}.${createHmac(signature.hmac, signature.key).update(input).digest('base64url')}`
}

/** The header and payload of a compact token, decoded. */
export function splitToken(token: string): { header: unknown; payload: unknown; parts: string[] } {
  const parts = token.split('.')
  const decode = (part: string | undefined): unknown =>
    JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'))
  return { header: decode(parts[0]), payload: decode(parts[1]), parts }
}

function segment(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return Buffer.from(text, 'utf8').toString('base64url')
}
