import { fileURLToPath } from 'node:url'

import type Docker from 'dockerode'

import { ensureBusyboxImage, ensureSampleImage, SAMPLE_ROOTFS } from '@node/panel-sim'

/**
 * The image every Docker test uses: the sample image's files (the entrypoint) plus the scripts
 * under images/busybox/rootfs (fake-game-server and its helper).
 */
export const TEST_IMAGE = 'node-daemon-test/busybox:latest'

const TEST_ROOTFS = fileURLToPath(new URL('../images/busybox/rootfs/', import.meta.url))

/**
 * Builds TEST_IMAGE, and the sample image panel-sim's sample server runs in, with `docker import`
 * when missing or when their inputs changed. No registry is reachable here, so each rootfs is made
 * from Debian's busybox-static. `docker` is accepted for the callers that hold a client; the build
 * goes through the `docker` command.
 */
export async function ensureTestImages(_docker?: Docker): Promise<void> {
  await ensureBusyboxImage({ tag: TEST_IMAGE, overlays: [SAMPLE_ROOTFS, TEST_ROOTFS] })
  await ensureSampleImage()
}
