export {
  createTestServers,
  TEST_SERVERS_SETTINGS,
  type TestServers,
  type TestServersOptions,
} from './test-servers.js'
export { until } from './wait.js'
