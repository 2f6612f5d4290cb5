import { createHash, randomInt } from 'node:crypto'

import type { TokenPurpose } from '@node/shared-kernel'
import jwt from 'jsonwebtoken'

import { NODE_TOKEN, SERVER_UUID, USER_ID, USER_UUID } from './fixtures/panel-worked-example.js'

type Claims = Record<string, unknown>

export interface PanelTokenSignerOptions {
  /** The node token the Panel signs with. Default: node 1's token of the spec's example. */
  readonly key?: string
  /** Milliseconds since the epoch; the Panel's clock. */
  readonly now: () => number
}

export interface MintOptions {
  /** Claims added or replaced after the Panel's; an `undefined` value removes the claim. */
  readonly claims?: Claims
  /** The [v1.12] `scope`. Default: the purpose's own; null: none, as Panels before 1.12 sign. */
  readonly scope?: string | null
  /** `iat` in Unix seconds. Default: the Panel's now. */
  readonly issuedAt?: number
  /** Default: 600 s for websocket tokens, 900 s for the others (panel-contract.md §B.2). */
  readonly lifetimeSeconds?: number
  readonly key?: string
  readonly serverUuid?: string
  readonly userUuid?: string
  readonly userId?: number
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * Test-only stand-in for the Panel's NodeJWTService (panel-contract.md §B.1, §B.2): HS256 with the
 * node token, `jti` in header and payload, claims in the Panel's order, integer times, `aud` an array.
 */
export class PanelTokenSigner {
  readonly #key: string
  readonly #now: () => number

  constructor(options: PanelTokenSignerOptions) {
    this.#key = options.key ?? NODE_TOKEN
    this.#now = options.now
  }

  mint(purpose: TokenPurpose, options: MintOptions = {}): string {
    const serverUuid = options.serverUuid ?? SERVER_UUID
    const userId = options.userId ?? USER_ID
    const iat = options.issuedAt ?? Math.floor(this.#now() / 1000)
    const lifetime = options.lifetimeSeconds ?? (purpose === 'websocket' ? 600 : 900)
    const jti = purpose === 'transfer' ? sha256(serverUuid) : md5(`${userId}${serverUuid}`)
    const nodeUrl =
      purpose === 'transfer' ? 'https://node2.example.com:8080' : 'https://node1.example.com:8080'

    const payload: Claims = {
      iss: 'https://panel.example.com',
      aud: [nodeUrl],
      jti,
      iat,
      nbf: iat - 300,
      exp: iat + lifetime,
    }
    if (purpose === 'transfer') {
      payload.sub = serverUuid
    } else {
      Object.assign(payload, kindClaims(purpose, serverUuid), {
        user_uuid: options.userUuid ?? USER_UUID,
        user_id: userId,
      })
    }
    payload.unique_id = uniqueId()
    const scope = options.scope === undefined ? purpose : options.scope
    if (scope !== null) payload.scope = scope
    for (const [name, value] of Object.entries(options.claims ?? {})) {
      if (value === undefined) delete payload[name]
      else payload[name] = value
    }

    const header: Claims = { typ: 'JWT', alg: 'HS256', jti }
    if (purpose === 'transfer') header.sub = serverUuid
    return jwt.sign(payload, options.key ?? this.#key, {
      algorithm: 'HS256',
      header: header as unknown as jwt.JwtHeader,
      // jsonwebtoken keeps a given `iat`; it only adds its own when none is given.
      noTimestamp: payload.iat === undefined,
    })
  }
}

function kindClaims(purpose: Exclude<TokenPurpose, 'transfer'>, serverUuid: string): Claims {
  switch (purpose) {
    case 'websocket':
      return { server_uuid: serverUuid, permissions: ['*'] }
    case 'file-download':
      return { file_path: '/logs/latest.log', server_uuid: serverUuid }
    case 'file-upload':
      return { server_uuid: serverUuid }
    case 'backup-download':
      return { backup_uuid: '8f14e45f-ceea-467f-a0e6-d8a52b3c4d5e', server_uuid: serverUuid }
  }
}

/** 16 random alphanumerics, as the Panel's `unique_id`. */
function uniqueId(): string {
  let id = ''
  for (let i = 0; i < 16; i++) id += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]
  return id
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex')
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
