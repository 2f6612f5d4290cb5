export {
  startPanelSim,
  type DaemonTarget,
  type PanelActionResult,
  type PanelSim,
  type PanelSimOptions,
  type TokenIssuer,
  type TokenRequest,
} from './panel-sim.js'
export type { CallMatcher, RecordedCall } from './call-recorder.js'
export type { FailureSpec } from './failure-injector.js'
export type {
  AllocationFixture,
  ApiKeyFixture,
  BackupFixture,
  EggFixture,
  EggVariableFixture,
  Fixture,
  JsonText,
  MountFixture,
  NodeFixture,
  ServerFixture,
  ServerPatch,
  SubuserFixture,
  UserFixture,
} from './fixture.js'
export { FixtureError } from './field-reader.js'
export type {
  ActivityRecord,
  AllocationRecord,
  BackupRecord,
  EggRecord,
  NodeRecord,
  ServerRecord,
  ServerStatus,
  TransferRecord,
  UserRecord,
} from './records.js'
export { makeServers } from './make-servers.js'
export { sampleFixture, SAMPLE_IMAGE, type SampleFixtureOptions } from './sample-fixture.js'
export {
  BUSYBOX,
  ensureBusyboxImage,
  ensureSampleImage,
  isStaticElf,
  SAMPLE_IMAGE_TAG,
  SAMPLE_ROOTFS,
  type BusyboxImage,
} from './busybox-image.js'
export {
  connectionAddress,
  type IssuedToken,
  type IssueOptions,
  type PanelVersion,
  type TokenKind,
  type TokenTamper,
} from './jwt-issuer.js'
export {
  DaemonClient,
  type DaemonClientOptions,
  type DaemonRequest,
  type DaemonResponse,
  type PanelViewError,
  type PowerAction,
  type TransferRequestBody,
} from './daemon-client.js'
export type { NodeConfiguration } from './node-configuration.js'
export type { ServerConfigurationWire } from './server-configuration.js'
export type { BackupObjectStore, UploadedPart } from './backup-object-store.js'
export type { S3ObjectStoreOptions } from './s3-object-store.js'
