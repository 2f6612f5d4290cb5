import { jailFaultOf, type Jail } from '@node/filesystem-jail'

/** What a walk of the tree found: the inputs of the archive's size bound. */
export interface TreeMeasure {
  /** Entries that take a tar header: regular files, directories, symlinks. */
  readonly entries: number
  /** Sum of the regular files' sizes. */
  readonly fileBytes: number
  /** Entries whose path (or link target) needs a PAX record, and the record bytes they need. */
  readonly longNames: number
  readonly longNameBytes: number
}

const BLOCK = 512
const USTAR_NAME_BYTES = 99
// Room for a running server's growth while it is archived: files appended to before they are
// read, files created behind the walk.
const GROWTH_RATIO = 0.1
const GROWTH_BYTES = 64 * 1024 * 1024
const GZIP_MEMBER_BYTES = 1024 * 1024

const roundUp = (n: number): number => Math.ceil(n / BLOCK) * BLOCK

/**
 * An upper bound of the size of the .tar.gz of a tree as measured, plus room for the tree to
 * grow while it is read (a running server writes on): what an S3 backup announces to the Panel.
 */
export function tarGzSizeBound(tree: TreeMeasure): number {
  return Math.ceil(archiveSizeBound(tree) * (1 + GROWTH_RATIO)) + GROWTH_BYTES
}

/**
 * An upper bound of the size of the .tar.gz of a tree as measured: every entry a header (plus a
 * PAX record for a long name), every file padded to whole blocks, the end-of-archive blocks; then
 * the worst gzip expansion of any level (zlib's stored blocks cost under 4 %, plus each member's
 * header and trailer).
 */
export function archiveSizeBound(tree: TreeMeasure): number {
  // Per entry a header block and at most one block of padding; per long name the same again.
  const tar =
    tree.entries * 2 * BLOCK +
    roundUp(tree.fileBytes) +
    tree.longNames * 2 * BLOCK +
    roundUp(tree.longNameBytes) +
    20 * BLOCK
  return Math.ceil(tar * 1.05) + Math.ceil(tar / GZIP_MEMBER_BYTES + 1) * 64
}

/**
 * Walks the tree through the jail (lstat only, links never followed), skipping what `ignore`
 * leaves out, and measures what the archive of it will hold.
 */
export async function measureTree(
  jail: Jail,
  ignore: (relPath: string, isDirectory: boolean) => boolean,
  signal?: AbortSignal,
): Promise<TreeMeasure> {
  let entries = 0
  let fileBytes = 0
  let longNames = 0
  let longNameBytes = 0
  const pending = ['']
  for (let directory = pending.pop(); directory !== undefined; directory = pending.pop()) {
    signal?.throwIfAborted()
    try {
      for await (const { name, stats } of jail.list(directory)) {
        const rel = directory === '' ? name : `${directory}/${name}`
        if (ignore(rel, stats.kind === 'directory')) continue
        if (stats.kind !== 'file' && stats.kind !== 'directory' && stats.kind !== 'symlink') {
          continue
        }
        entries++
        const nameBytes = Buffer.byteLength(rel) + 1
        // A link's target may need a record too; its length is bounded by PATH_MAX.
        const recordBytes = stats.kind === 'symlink' ? nameBytes + 4096 : nameBytes
        if (recordBytes > USTAR_NAME_BYTES) {
          longNames++
          longNameBytes += recordBytes + 64
        }
        if (stats.kind === 'file') fileBytes += stats.size
        if (stats.kind === 'directory') pending.push(rel)
      }
    } catch (error) {
      // A directory removed or swapped for a link by the running server: the archive skips it too.
      if (jailFaultOf(error) === undefined) throw error
    }
  }
  return { entries, fileBytes, longNames, longNameBytes }
}
