/** Structured fields attached to a log line; names follow Wings (`server_id`, `request_id`, …). */
export type LogFields = Readonly<Record<string, unknown>>

/** Where packages write what happened. Adapter: apps/daemon's winston logger. */
export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  /** A logger that adds `fields` to every line it writes. */
  child(fields: LogFields): Logger
}
