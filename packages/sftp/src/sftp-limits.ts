/** Abuse limits of the SFTP server; every one has a default and may be overridden. */
export interface SftpLimits {
  /** Failed logins on one connection before it is closed (the reference's MaxAuthTries). */
  readonly maxAuthAttempts: number
  /** Time from TCP accept to a successful login before the connection is closed. */
  readonly loginGraceMs: number
  /** A logged-in connection that sends no SFTP request for this long is closed; 0 = never. */
  readonly idleTimeoutMs: number
  /** Open connections in total; more are refused at accept. */
  readonly maxConnections: number
  /** Open connections from one address (logged in or not). */
  readonly maxConnectionsPerAddress: number
  /** Logged-in connections of one Panel user on this node. */
  readonly maxSessionsPerUser: number
  /** Session channels on one connection (each may run one SFTP subsystem). */
  readonly maxChannelsPerConnection: number
  /** Files and directories one SFTP session holds open at once. */
  readonly maxHandlesPerSession: number
  /** Requests of one session served at once; past it reading pauses (SSH flow control). */
  readonly maxPendingRequests: number
  /** Bytes of requests of one session served at once; same effect. */
  readonly maxPendingBytes: number
  /** Bytes of an upload that arrived ahead of a gap, held per file until the gap is filled. */
  readonly maxReorderBytes: number
  /** Failed logins before an address's or a username's next attempts are spaced out. */
  readonly freeLoginFailures: number
  /** First spacing, doubled with each further failure. */
  readonly loginDelayMs: number
  /** Largest spacing; an attempt that would wait longer is refused outright. */
  readonly maxLoginDelayMs: number
  /** Failures are forgotten after this long without another. */
  readonly forgetLoginFailuresMs: number
}

export const DEFAULT_SFTP_LIMITS: SftpLimits = {
  maxAuthAttempts: 6,
  loginGraceMs: 60_000,
  idleTimeoutMs: 15 * 60_000,
  maxConnections: 1024,
  maxConnectionsPerAddress: 32,
  maxSessionsPerUser: 16,
  maxChannelsPerConnection: 4,
  maxHandlesPerSession: 256,
  maxPendingRequests: 128,
  maxPendingBytes: 8 * 1024 * 1024,
  maxReorderBytes: 4 * 1024 * 1024,
  freeLoginFailures: 3,
  loginDelayMs: 1_000,
  maxLoginDelayMs: 30_000,
  forgetLoginFailuresMs: 15 * 60_000,
}

/** The defaults with `overrides` on top; every value must be a non-negative integer. */
export function resolveLimits(overrides: Partial<SftpLimits> = {}): SftpLimits {
  const limits: Record<string, number> = { ...DEFAULT_SFTP_LIMITS }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue
    if (!(key in DEFAULT_SFTP_LIMITS)) throw new TypeError(`Unknown SFTP limit: ${key}.`)
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`The SFTP limit ${key} must be a non-negative integer, not ${value}.`)
    }
    limits[key] = value
  }
  return limits as unknown as SftpLimits
}
