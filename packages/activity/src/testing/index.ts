export { describeActivityStoreContract } from './activity-store-contract.js'
export { InMemoryActivityStore } from './in-memory-activity-store.js'
