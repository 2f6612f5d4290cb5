export { LocalBackupStore, type LocalBackupStoreOptions } from './local-backup-store.js'
