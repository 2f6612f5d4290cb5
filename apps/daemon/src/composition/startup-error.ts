import { PanelCallError } from '@node/panel-client'

/** Exit codes of `wings` (docs/operations.md); sysexits(3) where one fits. */
export const EXIT_CODES = {
  /** Stopped by SIGINT or SIGTERM. */
  stopped: 0,
  /** The configuration file is missing, unreadable, invalid or incomplete. */
  config: 1,
  /** Bad command-line usage. */
  usage: 2,
  /** A service the daemon needs does not answer at start-up: the Panel, the Docker engine. */
  unavailable: 69,
  /** A bug: an error nobody handled (the crash guard's code). */
  software: 70,
  /** The system refused something: the API's address or port, a directory, the system user. */
  system: 71,
} as const

/**
 * A start-up failure the operator can fix: `message` is one line saying what failed and how to
 * fix it; the CLI prints it and exits with `exitCode`. Never shown with a stack.
 */
export class StartupError extends Error {
  readonly exitCode: number

  constructor(message: string, exitCode: number, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StartupError'
    this.exitCode = exitCode
  }
}

/** A listener could not bind `host:port`; `keys` are the config keys that choose it. */
export function listenFailure(
  err: unknown,
  host: string,
  port: number,
  keys = 'api.host or api.port',
): Error {
  const code = (err as NodeJS.ErrnoException).code
  const where = `${host}:${port}`
  const fix = `change ${keys} in config.yml`
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError(
        `cannot listen on ${where}: another process already uses the port; stop it or ${fix}`,
        EXIT_CODES.system,
        { cause: err },
      )
    case 'EACCES':
      return new StartupError(
        `cannot listen on ${where}: not permitted (ports below 1024 need root); ${fix}`,
        EXIT_CODES.system,
        { cause: err },
      )
    case 'EADDRNOTAVAIL':
      return new StartupError(
        `cannot listen on ${where}: the address is not one of this machine's; ${fix}`,
        EXIT_CODES.system,
        { cause: err },
      )
    default:
      return new StartupError(
        `cannot listen on ${where}: ${message(err)}; ${fix}`,
        EXIT_CODES.system,
        { cause: err },
      )
  }
}

/** Loading this node's servers from the Panel failed for good (after every retry). */
export function panelFailure(err: unknown, remote: string): Error {
  if (!(err instanceof PanelCallError)) return err as Error
  if (err.status === 401 || err.status === 403) {
    return new StartupError(
      `the Panel at ${remote} refused this node's credentials (HTTP ${err.status}): copy token_id ` +
        "and token from the node's Configuration tab in the Panel into config.yml",
      EXIT_CODES.config,
      { cause: err },
    )
  }
  const reason = err.status === undefined ? causeMessage(err) : `HTTP ${err.status}`
  return new StartupError(
    `cannot load this node's servers from the Panel at ${remote} (${reason}, ${err.attempts} ` +
      'attempts): check that the Panel is up and that remote in config.yml is its URL, ' +
      'reachable from this machine',
    EXIT_CODES.unavailable,
    { cause: err },
  )
}

/** The Docker engine did not answer while the daemon prepared its network. */
export function dockerFailure(err: unknown): Error {
  return new StartupError(
    `cannot use the Docker engine (${message(err)}): start it (systemctl start docker), or set ` +
      'system.environment: process in config.yml to run servers as plain child processes',
    EXIT_CODES.unavailable,
    { cause: err },
  )
}

/** A directory or file the daemon owns could not be created. */
export function fileSystemFailure(err: unknown, what: string): Error {
  const e = err as NodeJS.ErrnoException
  if (typeof e.code !== 'string' || e.path === undefined) return err as Error
  return new StartupError(
    `cannot create ${what} ${e.path} (${e.code}): check the path in config.yml and that the ` +
      'daemon may write there',
    EXIT_CODES.system,
    { cause: err },
  )
}

/** The system user of `system.username` could not be found or created. */
export function systemUserFailure(err: unknown, username: string): Error {
  return new StartupError(
    `${message(err)}: create it (useradd --system ${username}), or set system.username to an ` +
      'existing user, or system.user.rootless.enabled: true',
    EXIT_CODES.system,
    { cause: err },
  )
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** The network failure under a PanelCallError (`connect ECONNREFUSED 127.0.0.1:1`). */
function causeMessage(err: PanelCallError): string {
  return err.cause instanceof Error ? err.cause.message : err.message
}
