import Docker from 'dockerode'

import { ensureTestImages } from './test-images.js'

/**
 * vitest global setup of the integration and e2e projects: a Docker engine must answer. This fails
 * the run instead of skipping tests; `./dev test` installs and starts the engine.
 */
export default async function setup(): Promise<void> {
  const docker = new Docker()
  try {
    await docker.ping()
  } catch (err) {
    throw new Error(
      'No Docker engine answers on /var/run/docker.sock. Run the suite with ./dev test, which ' +
        'installs and starts one.',
      { cause: err },
    )
  }
  await ensureTestImages(docker)
}
