import { InMemoryBackupBackend, InMemoryBackupStore } from './in-memory-backup-store.js'
import { describeBackupStoreContract } from './backup-store-contract.js'

describeBackupStoreContract('InMemoryBackupStore', () => {
  const backend = new InMemoryBackupBackend()
  return Promise.resolve({
    store: new InMemoryBackupStore({ backend }),
    reopen: () => Promise.resolve(new InMemoryBackupStore({ backend })),
    readBack: (uuid) => Promise.resolve(backend.archives.get(uuid)),
    leftovers: () => Promise.resolve([...backend.inFlight]),
    keepsArchives: true,
  })
})
