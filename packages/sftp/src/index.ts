export { loadOrCreateHostKey, type HostKey } from './host-key.js'
export {
  LoginThrottle,
  type LoginThrottleOptions,
  type ThrottleDecision,
} from './login-throttle.js'
export { SFTP_USERNAME } from './panel-authenticator.js'
export type { SftpServerLookup, SftpServerView } from './server-lookup.js'
export type { SftpActivity, SftpActivityEvent, SftpActivitySink } from './sftp-activity.js'
export { DEFAULT_SFTP_LIMITS, type SftpLimits } from './sftp-limits.js'
export { SftpServer, type SftpServerOptions } from './sftp-server.js'
