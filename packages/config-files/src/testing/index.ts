export { InMemoryConfigFileIo } from './in-memory-config-file-io.js'
