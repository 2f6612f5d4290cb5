import type { Logger } from './ports/logger.js'

/** A logger that drops everything: the default for library users who pass none. */
export const nullLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => nullLogger,
}
