export {
  describeEnvironmentContract,
  EnvironmentRecorder,
  FAKE_GAME_SERVER,
  FAKE_GAME_SERVER_DONE,
  fakeServerSettings,
  type EnvironmentContractHooks,
  type FakeServerOptions,
  type FakeServerSettingsOptions,
} from './environment-contract.js'
export { startS3rver, type RunningS3rver, type S3rverOptions } from './s3rver.js'
export { listProcesses, type ProcessInfo } from './leak-check.js'
export { createTempDir, type TempDir } from './temp-dir.js'
export { ensureTestImages, TEST_IMAGE } from './test-images.js'
