export {
  BadRequestError,
  ConflictError,
  DaemonError,
  DeniedError,
  InvalidError,
  isDaemonError,
  NotFoundError,
  NotRunningError,
  QuotaExceededError,
  TimeoutError,
  TooLargeError,
  UnauthorizedError,
  type DaemonErrorOptions,
  type ErrorCode,
} from './errors.js'
export { nullLogger } from './null-logger.js'
export { systemClock, type Clock } from './ports/clock.js'
export type { LogFields, Logger } from './ports/logger.js'
