/**
 * The gzip level of `system.backups.compression_level` (behaviour §8.4): `none` → 0,
 * `best_compression` → 9, anything else (`best_speed`, the default) → 1.
 */
export function gzipLevelOf(setting: string): number {
  if (setting === 'none') return 0
  if (setting === 'best_compression') return 9
  return 1
}
