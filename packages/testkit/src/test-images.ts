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

import Docker from 'dockerode'

const run = promisify(execFile)

/** The image every Docker test uses: busybox-static plus the scripts under images/busybox/rootfs. */
export const TEST_IMAGE = 'node-daemon-test/busybox:latest'

const IMAGE_DIR = fileURLToPath(new URL('../images/busybox/', import.meta.url))
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
const BUSYBOX = '/bin/busybox'

/**
 * Builds TEST_IMAGE with `docker import` when it is missing or its inputs changed. No registry is
 * reachable here, so the rootfs is made from Debian's busybox-static.
 */
export async function ensureTestImages(docker = new Docker()): Promise<void> {
  const digest = await inputDigest()
  const existing = await docker
    .getImage(TEST_IMAGE)
    .inspect()
    .catch(() => undefined)
  if (existing?.Config?.Labels?.[DIGEST_LABEL] === digest) return
  await buildBusyboxImage(digest)
}

async function inputDigest(): Promise<string> {
  const hash = createHash('sha256')
  hash
    .update(await readFile(BUSYBOX))
    .update(JSON.stringify(IMAGE_CHANGES))
    .update(JSON.stringify(DIRECTORIES))
  for (const file of await listFiles(path.join(IMAGE_DIR, 'rootfs'))) {
    hash.update(file).update(await readFile(path.join(IMAGE_DIR, 'rootfs', file)))
  }
  return hash.digest('hex').slice(0, 16)
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = path.posix.join(prefix, entry.name)
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)))
    else out.push(rel)
  }
  return out.sort()
}

async function buildBusyboxImage(digest: string): Promise<void> {
  const { stdout: ldd } = await run('file', ['-L', BUSYBOX]).catch(() => ({ stdout: '' }))
  if (ldd !== '' && !/statically linked|static-pie/.test(ldd)) {
    throw new Error(`${BUSYBOX} is not statically linked: install Debian's busybox-static`)
  }
  const root = await mkdtemp(path.join(tmpdir(), 'test-image-'))
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
    await cp(path.join(IMAGE_DIR, 'rootfs'), root, { recursive: true })
    await dockerImport(root, [`LABEL ${DIGEST_LABEL}=${digest}`, ...IMAGE_CHANGES])
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

function dockerImport(root: string, changes: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['import', ...changes.flatMap((c) => ['--change', c]), '-', TEST_IMAGE]
    const tar = spawn('tar', ['-C', root, '--owner=0', '--group=0', '-cf', '-', '.'])
    const docker = spawn('docker', args, { stdio: ['pipe', 'ignore', 'pipe'] })
    let stderr = ''
    docker.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    tar.stdout.pipe(docker.stdin)
    tar.on('error', reject)
    docker.on('error', reject)
    docker.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`docker import failed (${code}): ${stderr}`)),
    )
  })
}
