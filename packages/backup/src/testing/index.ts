export {
  describeBackupStoreContract,
  type BackupStoreContractSubject,
} from './backup-store-contract.js'
export { InMemoryBackupBackend, InMemoryBackupStore } from './in-memory-backup-store.js'
