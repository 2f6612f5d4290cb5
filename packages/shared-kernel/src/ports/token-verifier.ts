/**
 * What a Panel-signed token is for. The strings are also the [v1.12] `scope` values the Panel
 * writes into each token (spec/tokens.md §3).
 */
export type TokenPurpose =
  'websocket' | 'file-download' | 'file-upload' | 'backup-download' | 'transfer'

/** Purposes whose tokens work once: their `unique_id` is consumed on first use. */
export type OneTimeTokenPurpose = 'file-download' | 'file-upload' | 'backup-download'

/** Claims every accepted token carries. Times are whole Unix seconds, as the Panel writes them. */
export interface BaseTokenClaims {
  /** `exp`: the token is valid while the current whole second is at most this. */
  readonly expiresAt: number
  /** `iat`; always present in user tokens, optional in transfer tokens. */
  readonly issuedAt: number | undefined
  /** `jti`; the Panel uses md5(user id . server uuid), shared by all of a user's tokens. */
  readonly jti: string | undefined
  /** The [v1.12] `scope` claim split on spaces; undefined when the token has none (Panel < 1.12). */
  readonly scopes: readonly string[] | undefined
}

/** Claims of a token the Panel minted for a user on one server; the deny lists judge these. */
export interface UserTokenClaims extends BaseTokenClaims {
  /** `server_uuid`, verbatim (servers are looked up by exact string). */
  readonly serverUuid: string
  /** `user_uuid`. */
  readonly userUuid: string
  readonly issuedAt: number
}

export interface WebsocketTokenClaims extends UserTokenClaims {
  /** `permissions`; `*` grants everything except `admin.*`. */
  readonly permissions: readonly string[]
}

export interface FileDownloadTokenClaims extends UserTokenClaims {
  /** `file_path`: a path inside the server root, already URL-decoded by the Panel. */
  readonly filePath: string
  readonly uniqueId: string
}

export interface FileUploadTokenClaims extends UserTokenClaims {
  readonly uniqueId: string
}

export interface BackupDownloadTokenClaims extends UserTokenClaims {
  /** `backup_uuid`, checked to be a UUID. */
  readonly backupUuid: string
  readonly uniqueId: string
}

export interface TransferTokenClaims extends BaseTokenClaims {
  /** `sub`: the server being transferred, as a lower-case UUID. */
  readonly serverUuid: string
}

/** The claims `verify` and `redeem` return, per purpose. */
export interface TokenClaimsByPurpose {
  websocket: WebsocketTokenClaims
  'file-download': FileDownloadTokenClaims
  'file-upload': FileUploadTokenClaims
  'backup-download': BackupDownloadTokenClaims
  transfer: TransferTokenClaims
}

export interface RedeemOptions {
  /** Whether `serverUuid` (exact string) is a server on this node; asked before the id is used up. */
  hasServer(serverUuid: string): boolean
}

/**
 * The exact texts the spec prescribes for refused tokens. Websocket texts go into `jwt error`
 * frames (websocket.md §3, §4); the others are HTTP error bodies (http-api.md §8.2, §10).
 */
export const TOKEN_ERROR_MESSAGES = {
  noJwt: 'jwt: no jwt present',
  expired: 'jwt: exp claim is invalid',
  denylisted: 'jwt: created too far in past (denylist)',
  missingConnectPermission: 'jwt: missing connect permission',
  /** Ours: a token without `scope` where this node requires one; names the setting to change. */
  missingScope:
    'jwt: token has no scope claim, and this node requires one (config api.accept_tokens_without_scope)',
  serverUuidMismatch: 'jwt: server uuid mismatch',
  resourceNotFound: 'The requested resource was not found on this server.',
  forbidden: 'Forbidden.',
} as const

/**
 * Checks the Panel's HS256 tokens: signature, times, claims and scope; user tokens also against
 * the TokenDenyList. Adapter: @node/jwt. The websocket re-judges its token before every event with
 * @node/jwt's WebsocketTokenPolicy.
 *
 * Failures, by how the callers answer them:
 * - `InvalidTokenError` (not a DaemonError): malformed, badly signed, expired (except websocket),
 *   not yet valid, or claims of the wrong type. HTTP answers the generic 500; the websocket
 *   answers `daemon error`.
 * - `DeniedError`: from `verify(…, 'websocket')` its message is a `jwt error` text
 *   (`missingScope` for a token without `scope` where one is required); from
 *   `verify(…, 'transfer')` `Forbidden.` (403).
 * - `NotFoundError` with `TOKEN_ERROR_MESSAGES.resourceNotFound`: a one-time token refused by
 *   `redeem` (unknown server, denied, already used, wrong scope): HTTP 404.
 */
export interface TokenVerifier {
  /**
   * Verifies a websocket `auth` token (signature, time, claims, deny list, `websocket.connect`
   * and scope) or a transfer token (signature, time, scope, `sub`). Has no side effects; the
   * websocket token's `server_uuid` is left for the websocket policy to compare.
   */
  verify<P extends 'websocket' | 'transfer'>(
    token: string,
    purpose: P,
  ): Promise<TokenClaimsByPurpose[P]>
  /**
   * Verifies a download or upload token and uses up its `unique_id`: of any number of calls with
   * the same token, sequential or concurrent, at most one resolves. The id is not used up when
   * the server is unknown or the token is invalid.
   */
  redeem<P extends OneTimeTokenPurpose>(
    token: string,
    purpose: P,
    options: RedeemOptions,
  ): Promise<TokenClaimsByPurpose[P]>
}

// Checked by isInvalidTokenError instead of instanceof: a consumer may hold two copies of this package.
const kInvalidToken = Symbol.for('@node/shared-kernel/InvalidTokenError')

/**
 * A token that cannot be trusted or read. Deliberately not a DaemonError: the spec answers it
 * with the generic 500 on HTTP (tokens.md §4.2, §4.3) and `daemon error` on the websocket.
 * `message` says why, for logs and for holders of `admin.websocket.errors`; it never holds the token.
 */
export class InvalidTokenError extends Error {
  readonly [kInvalidToken] = true

  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidTokenError'
  }
}

export function isInvalidTokenError(value: unknown): value is InvalidTokenError {
  return typeof value === 'object' && value !== null && kInvalidToken in value
}
