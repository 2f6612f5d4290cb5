import type { LogFields, Logger } from '../ports/logger.js'

export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  readonly message: string
  readonly fields: LogFields
}

/** A logger that keeps every line in `records`, for tests that assert what was logged. */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[]
  readonly #bound: LogFields

  constructor(records: LogRecord[] = [], bound: LogFields = {}) {
    this.records = records
    this.#bound = bound
  }

  debug(message: string, fields?: LogFields): void {
    this.#push('debug', message, fields)
  }
  info(message: string, fields?: LogFields): void {
    this.#push('info', message, fields)
  }
  warn(message: string, fields?: LogFields): void {
    this.#push('warn', message, fields)
  }
  error(message: string, fields?: LogFields): void {
    this.#push('error', message, fields)
  }
  child(fields: LogFields): Logger {
    return new MemoryLogger(this.records, { ...this.#bound, ...fields })
  }

  #push(level: LogRecord['level'], message: string, fields: LogFields = {}): void {
    this.records.push({ level, message, fields: { ...this.#bound, ...fields } })
  }
}
