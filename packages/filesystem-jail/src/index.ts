export type { JailMode } from './backend/backend.js'
export { probeJailMode, type JailBackend, type ModeProbe } from './backend/select-backend.js'
export { copyNameCandidates } from './copy-name.js'
export { Denylist } from './denylist.js'
export { DiskUsage, type DiskUsageOptions, type UsageFreshness } from './disk-usage.js'
export {
  isFilesystemError,
  JAIL_MESSAGES,
  JailFault,
  jailFaultOf,
  type JailFaultReason,
} from './errors.js'
export {
  Jail,
  type JailDirectory,
  type JailEntry,
  type JailOptions,
  type JailOwner,
  type JailReadable,
  type ListOptions,
  type ReadOptions,
  type RemoveResult,
  type WriteOptions,
} from './jail.js'
export { isPlainName, jailPathIn, parseJailPath, type JailPath } from './jail-path.js'
export type { FileKind, JailStats } from './jail-stats.js'
export { JailWriteHandle } from './jail-write-handle.js'
export { JailWriteStream } from './jail-write-stream.js'
export { mapLimited } from './map-limited.js'
export { lossyName } from './name-bytes.js'
export { Quota, Reservation, type QuotaOptions } from './quota.js'
export { VolumeReserve, type VolumeReserveOptions } from './volume-reserve.js'
export {
  searchFiles,
  type SearchMatch,
  type SearchOptions,
  type SearchResult,
} from './search-files.js'
export { walkDiskUsage, type UsageWalkResult } from './walk-disk-usage.js'
export {
  ARCHIVE_MESSAGES,
  ArchiveBombError,
  CorruptArchiveError,
  UnsupportedArchiveError,
} from './archive/archive-errors.js'
export {
  archiveName,
  compressFiles,
  createTarGzStream,
  type CompressOptions,
  type TarGzStreamOptions,
} from './archive/compress.js'
export {
  decompressArchive,
  extractTarGz,
  type DecompressOptions,
  type DecompressResult,
  type ExtractTarGzOptions,
} from './archive/decompress.js'
export type { BombGuard } from './archive/extract.js'
export type { TarWalkOptions } from './archive/tar-walk.js'
