export { S3BackupStore, type S3BackupStoreOptions } from './s3-backup-store.js'
export { PartRejectedError, type PartRetryPolicy } from './upload-part.js'
