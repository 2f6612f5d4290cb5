export { formatNotice, NOTICES } from './console-notice.js'
export {
  ConsoleThrottle,
  type ConsoleThrottleOptions,
  type ThrottleVerdict,
} from './console-throttle.js'
export { isPowerAction, POWER_ACTIONS, POWER_ERRORS, type PowerAction } from './power-errors.js'
export {
  isPowerLockBusyError,
  LOCK_BUSY_MESSAGE,
  PowerLock,
  PowerLockBusyError,
} from './power-lock.js'
export {
  ServerRuntime,
  STOP_GRACE_MS,
  type PowerOptions,
  type PowerSettings,
  type ServerRuntimeOptions,
  type StartPreflight,
} from './server-runtime.js'
export { doneMatcherOf, inspectedLine, type DoneMatcher } from './startup-matcher.js'
