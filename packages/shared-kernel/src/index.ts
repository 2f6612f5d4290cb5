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
  type ErrorCode,
} from './errors.js'
export { nullLogger } from './null-logger.js'
export { systemClock, type Clock } from './ports/clock.js'
export type { InFlightGauge } from './ports/in-flight-gauge.js'
export type { LogFields, Logger } from './ports/logger.js'
export type { TokenDenyList } from './ports/token-deny-list.js'
export {
  InvalidTokenError,
  isInvalidTokenError,
  TOKEN_ERROR_MESSAGES,
  type BackupDownloadTokenClaims,
  type BaseTokenClaims,
  type FileDownloadTokenClaims,
  type FileUploadTokenClaims,
  type OneTimeTokenPurpose,
  type RedeemOptions,
  type TokenClaimsByPurpose,
  type TokenPurpose,
  type TokenVerifier,
  type TransferTokenClaims,
  type UserTokenClaims,
  type WebsocketTokenClaims,
} from './ports/token-verifier.js'
