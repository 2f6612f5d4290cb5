import { createHash, createHmac } from 'node:crypto'

import jwt from 'jsonwebtoken'

import { randomAlnum } from './random.js'
import type { NodeRecord, ServerRecord, UserRecord } from './records.js'

/** Which Panel's token format to mint (tokens.md; panel-contract.md B). */
export type PanelVersion = '1.11' | '1.12'

export type TokenKind =
  'websocket' | 'file-download' | 'file-upload' | 'backup-download' | 'transfer'

/** Ways to spoil a token for negative tests; none of them is something the Panel does. */
export interface TokenTamper {
  /** Issued 20 minutes ago, so `exp` is in the past. */
  readonly expired?: boolean
  /** `nbf` (and `iat`) one hour in the future. */
  readonly notYetValid?: boolean
  /** Signed with this key instead of the node token. */
  readonly key?: string
  /** Signed with a random key. */
  readonly wrongKey?: boolean
  /** `none` makes an unsigned token (empty signature). */
  readonly algorithm?: 'none' | 'HS256' | 'HS384' | 'HS512'
  /** Leaves out `scope` even for a 1.12 token. */
  readonly noScope?: boolean
  /** Sets `scope` (also on a 1.11 token). */
  readonly scope?: string
  /** Extra or replaced claims, applied last. */
  readonly claims?: Readonly<Record<string, unknown>>
  /** Claims to delete, applied after `claims`. */
  readonly omit?: readonly string[]
  /** Extra or replaced JOSE header fields. */
  readonly header?: Readonly<Record<string, unknown>>
}

export interface IssueOptions {
  /** This token's format, whatever the simulator's `panelVersion` (e.g. a 1.11 token from a 1.12 Panel). */
  readonly panelVersion?: PanelVersion
  /** Unix seconds to use as "now"; default the wall clock. */
  readonly now?: number
  /** Fixed `unique_id` (16 random characters otherwise). */
  readonly uniqueId?: string
  readonly tamper?: TokenTamper
}

export interface IssuedToken {
  readonly kind: TokenKind
  readonly token: string
  readonly header: Readonly<Record<string, unknown>>
  readonly claims: Readonly<Record<string, unknown>>
  /** The node whose token signed it (the target node for transfers). */
  readonly node: NodeRecord
}

const LIFETIME_SECONDS: Readonly<Record<TokenKind, number>> = {
  websocket: 600,
  'file-download': 900,
  'file-upload': 900,
  'backup-download': 900,
  transfer: 900,
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex')
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** The connection address of a node: `{scheme}://{fqdn}:{daemonListen}`, the `aud` of its tokens. */
export function connectionAddress(node: NodeRecord): string {
  const host = node.fqdn.includes(':') ? `[${node.fqdn}]` : node.fqdn
  return `${node.scheme}://${host}:${node.daemonListen}`
}

/**
 * Mints tokens as the Panel's NodeJWTService: HS256 with the node's plain `daemon_token`, claims in
 * the Panel's order, integer timestamps (`nbf` 5 minutes back), `aud` as a one-element array.
 * Signed with jsonwebtoken, whose header order is `alg, typ, jti` where lcobucci writes
 * `typ, alg, jti`: the same header, different bytes.
 */
export class JwtIssuer {
  readonly #issuer: () => string
  readonly #version: () => PanelVersion

  constructor(options: { issuer: () => string; version: () => PanelVersion }) {
    this.#issuer = options.issuer
    this.#version = options.version
  }

  issue(
    kind: TokenKind,
    node: NodeRecord,
    subject: {
      readonly server: ServerRecord
      readonly user?: UserRecord
      /** Claims between `exp`/`sub` and the user claims, in order. */
      readonly claims?: Readonly<Record<string, unknown>>
    },
    options: IssueOptions = {},
  ): IssuedToken {
    const tamper = options.tamper ?? {}
    const version = options.panelVersion ?? this.#version()
    let now = options.now ?? Math.floor(Date.now() / 1000)
    if (tamper.expired) now -= LIFETIME_SECONDS[kind] + 600
    if (tamper.notYetValid) now += 3600
    const user = subject.user
    const identifiedBy =
      kind === 'transfer' ? subject.server.uuid : `${user?.id ?? ''}${subject.server.uuid}`
    const jti = version === '1.12' || kind === 'transfer' ? sha256(identifiedBy) : md5(identifiedBy)

    const claims: Record<string, unknown> = {
      iss: this.#issuer(),
      aud: [connectionAddress(node)],
      jti,
      iat: now,
      nbf: tamper.notYetValid ? now : now - 300,
      exp: now + LIFETIME_SECONDS[kind],
    }
    if (kind === 'transfer') claims['sub'] = subject.server.uuid
    Object.assign(claims, subject.claims)
    if ((version === '1.12' && !tamper.noScope) || tamper.scope !== undefined)
      claims['scope'] = tamper.scope ?? kind
    if (kind !== 'transfer' && user) {
      claims['user_uuid'] = user.uuid
      if (version === '1.11') claims['user_id'] = user.id
    }
    claims['unique_id'] = options.uniqueId ?? randomAlnum(16)
    Object.assign(claims, tamper.claims)
    for (const name of tamper.omit ?? []) delete claims[name]

    const algorithm = tamper.algorithm ?? 'HS256'
    const header: Record<string, unknown> = { typ: 'JWT', alg: algorithm, jti }
    if (kind === 'transfer') header['sub'] = subject.server.uuid
    Object.assign(header, tamper.header)
    const key = tamper.wrongKey ? randomAlnum(64) : (tamper.key ?? node.daemonToken)
    return { kind, token: sign(header, claims, key, algorithm), header, claims, node }
  }
}

function sign(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: string,
  algorithm: 'none' | 'HS256' | 'HS384' | 'HS512',
): string {
  const unsigned = `${base64url(header)}.${base64url(claims)}`
  if (algorithm === 'none') return `${unsigned}.`
  const iat = claims['iat']
  // jsonwebtoken drops `iat` with noTimestamp and replaces a falsy one with "now".
  const noTimestamp = iat === undefined
  try {
    if (!noTimestamp && !(typeof iat === 'number' && iat > 0)) throw new TypeError('unusual iat')
    return jwt.sign(claims, key, {
      algorithm,
      header: header as unknown as jwt.JwtHeader,
      noTimestamp,
    })
  } catch {
    // jsonwebtoken refuses some tampered payloads (e.g. a string `exp`); sign those by hand.
    const hmac = createHmac(`sha${algorithm.slice(2)}`, key)
      .update(unsigned)
      .digest('base64url')
    return `${unsigned}.${hmac}`
  }
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** PHP's `rawurldecode`: `%XX` decoded, `+` kept, malformed sequences left as they are. */
export function rawUrlDecode(value: string): string {
  const bytes: number[] = []
  for (let i = 0; i < value.length; i++) {
    const hex = value.slice(i + 1, i + 3)
    if (value[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16))
      i += 2
    } else {
      bytes.push(...Buffer.from(value[i]!))
    }
  }
  return Buffer.from(bytes).toString('utf8')
}
