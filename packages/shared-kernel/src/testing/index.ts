export { CountingInFlightGauge } from './counting-in-flight-gauge.js'
export { FakeClock } from './fake-clock.js'
export { MemoryLogger, type LogRecord } from './memory-logger.js'
export { InMemoryTokenDenyList } from './in-memory-token-deny-list.js'
