export { FakeClock } from './fake-clock.js'
export { MemoryLogger, type LogRecord } from './memory-logger.js'
