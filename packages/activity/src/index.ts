export {
  isSftpEvent,
  SFTP_EVENT_PREFIX,
  type ActivityEvent,
  type ActivityRecorder,
  type NewActivity,
  type StoredActivity,
} from './activity.js'
export {
  activityTimestamp,
  ActivityLog,
  type ActivityLogOptions,
  type ActivitySettings,
} from './activity-log.js'
export { activityIp } from './client-ip.js'
export type { ActivityKind, ActivityLimits, ActivityStore } from './ports/activity-store.js'
export { SqliteActivityStore, type SqliteActivityStoreOptions } from './sqlite-activity-store.js'
