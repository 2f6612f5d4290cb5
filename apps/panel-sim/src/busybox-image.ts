import { execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmod,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/**
 * The files of the sample image: `/usr/local/bin/entrypoint`, which runs `$STARTUP` with its
 * `{{VAR}}` placeholders filled in, as the Pterodactyl "yolks" images do.
 */
export const SAMPLE_ROOTFS = fileURLToPath(new URL('../images/sample/rootfs/', import.meta.url))

/** Where the rootfs comes from: Debian's busybox-static. */
export const BUSYBOX = '/bin/busybox'

const DIGEST_LABEL = 'node-daemon.test-image-digest'
// Directories of the image and their modes. /tmp is world-writable with the sticky bit as in
// real images: Docker copies its mode onto the tmpfs mounted there.
const DIRECTORIES: readonly (readonly [string, number])[] = [
  ['bin', 0o755],
  ['etc', 0o755],
  ['tmp', 0o1777],
  ['home/container', 0o755],
  ['usr/local/bin', 0o755],
  ['mnt/server', 0o755],
]
// Image settings given to `docker import`; part of the digest, so a change rebuilds the image.
const IMAGE_CHANGES = [
  'ENV PATH=/usr/local/bin:/bin',
  'WORKDIR /home/container',
  // Like the Pterodactyl images: run $STARTUP with its {{VAR}} placeholders filled in.
  'CMD ["/usr/local/bin/entrypoint"]',
]

/** The image the sample egg runs in (`sampleFixture`), built by `ensureSampleImage`. */
export const SAMPLE_IMAGE_TAG = 'node-daemon-sample/busybox:latest'

/** Builds SAMPLE_IMAGE_TAG when missing or stale (see ensureBusyboxImage). */
export function ensureSampleImage(): Promise<void> {
  return ensureBusyboxImage({ tag: SAMPLE_IMAGE_TAG, overlays: [SAMPLE_ROOTFS] })
}

export interface BusyboxImage {
  /** `name:tag` of the image. */
  readonly tag: string
  /** Directories copied over the busybox rootfs in order (a later file replaces an earlier one). */
  readonly overlays: readonly string[]
}

/**
 * Builds a small image with `docker import` when it is missing or its inputs changed: a rootfs
 * of Debian's busybox-static (every applet linked) plus `overlays`. No image registry is needed.
 * Needs the `docker` and `tar` commands; rejects with an Error saying what is missing.
 */
export async function ensureBusyboxImage(image: BusyboxImage): Promise<void> {
  const busybox = await readFile(BUSYBOX).catch((err: unknown) => {
    throw new Error(`${BUSYBOX} is missing: install Debian's busybox-static`, { cause: err })
  })
  if (!isStaticElf(busybox)) {
    throw new Error(`${BUSYBOX} is not statically linked: install Debian's busybox-static`)
  }
  const files = await overlayFiles(image.overlays)
  const digest = await inputDigest(busybox, files)
  if ((await imageDigest(image.tag)) === digest) return
  const root = await mkdtemp(path.join(tmpdir(), 'busybox-image-'))
  try {
    for (const [dir, mode] of DIRECTORIES) {
      await mkdir(path.join(root, dir), { recursive: true })
      await chmod(path.join(root, dir), mode)
    }
    await cp(BUSYBOX, path.join(root, 'bin/busybox'))
    const { stdout } = await run(BUSYBOX, ['--list'])
    for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) {
      await symlink('busybox', path.join(root, 'bin', applet)).catch(() => undefined)
    }
    await writeFile(
      path.join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\ncontainer:x:988:988:container:/home/container:/bin/sh\n',
    )
    await writeFile(path.join(root, 'etc/group'), 'root:x:0:\ncontainer:x:988:\n')
    for (const overlay of image.overlays) await cp(overlay, root, { recursive: true })
    await dockerImport(root, image.tag, [`LABEL ${DIGEST_LABEL}=${digest}`, ...IMAGE_CHANGES])
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

/**
 * Whether an ELF file needs no dynamic loader (no PT_INTERP program header): a static busybox
 * runs in an empty image, Debian's default dynamic one does not.
 */
export function isStaticElf(file: Buffer): boolean {
  if (file.length < 64 || file.readUInt32BE(0) !== 0x7f454c46) return false
  const is64 = file[4] === 2
  const little = file[5] === 1
  const u16 = (at: number) => (little ? file.readUInt16LE(at) : file.readUInt16BE(at))
  const u32 = (at: number) => (little ? file.readUInt32LE(at) : file.readUInt32BE(at))
  const u64 = (at: number) => Number(little ? file.readBigUInt64LE(at) : file.readBigUInt64BE(at))
  const phoff = is64 ? u64(32) : u32(28)
  const phentsize = u16(is64 ? 54 : 42)
  const phnum = u16(is64 ? 56 : 44)
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize
    if (at + 4 > file.length) return false
    const PT_INTERP = 3
    if (u32(at) === PT_INTERP) return false
  }
  return true
}

/** Every file of the overlays by its path in the image; a later overlay's file wins. */
async function overlayFiles(overlays: readonly string[]): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const overlay of overlays) {
    for (const rel of await listFiles(overlay)) files.set(rel, path.join(overlay, rel))
  }
  return files
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = path.posix.join(prefix, entry.name)
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)))
    else out.push(rel)
  }
  return out
}

/** Same inputs, same digest: the image is rebuilt only when one of them changes. */
async function inputDigest(busybox: Buffer, files: ReadonlyMap<string, string>): Promise<string> {
  const hash = createHash('sha256')
  hash.update(busybox).update(JSON.stringify(IMAGE_CHANGES)).update(JSON.stringify(DIRECTORIES))
  const sorted = [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [rel, file] of sorted) hash.update(rel).update(await readFile(file))
  return hash.digest('hex').slice(0, 16)
}

/** The digest label of the image, or undefined when the image is missing. */
async function imageDigest(tag: string): Promise<string | undefined> {
  const format = `{{index .Config.Labels "${DIGEST_LABEL}"}}`
  return run('docker', ['image', 'inspect', '--format', format, tag]).then(
    ({ stdout }) => stdout.trim(),
    () => undefined,
  )
}

function dockerImport(root: string, tag: string, changes: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['import', ...changes.flatMap((c) => ['--change', c]), '-', tag]
    const tar = spawn('tar', ['-C', root, '--owner=0', '--group=0', '-cf', '-', '.'])
    const docker = spawn('docker', args, { stdio: ['pipe', 'ignore', 'pipe'] })
    let stderr = ''
    docker.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    tar.stdout.pipe(docker.stdin)
    tar.on('error', reject)
    docker.stdin.on('error', reject)
    docker.on('error', reject)
    docker.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`docker import failed (${code}): ${stderr}`)),
    )
  })
}
