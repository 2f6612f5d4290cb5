import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

import S3rver from 's3rver'

/** An S3-compatible server (s3rver) on loopback, with its data in a temp dir removed on close. */
export interface RunningS3rver extends AsyncDisposable {
  /** Path-style endpoint, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string
  /** The bucket created at start. */
  readonly bucket: string
  /** Where s3rver keeps objects and uploads. */
  readonly directory: string
  close(): Promise<void>
}

export interface S3rverOptions {
  /** Default `backups`. */
  readonly bucket?: string
  /** Default 0 (any free port). */
  readonly port?: number
}

/**
 * Starts s3rver in this process on 127.0.0.1 with one bucket. Its credentials are s3rver's
 * built-in `S3RVER` / `S3RVER` (@node/panel-sim's default). It has no AbortMultipartUpload and
 * no ListParts.
 */
export async function startS3rver(options: S3rverOptions = {}): Promise<RunningS3rver> {
  const bucket = options.bucket ?? 'backups'
  const directory = await mkdtemp(path.join(tmpdir(), 's3rver-'))
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  })
  let port: number
  try {
    ;({ port } = await server.run())
  } catch (error) {
    await rm(directory, { recursive: true, force: true })
    throw error
  }
  let closed: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closed ??= server.close().finally(() => rm(directory, { recursive: true, force: true })))
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    directory,
    close,
    [Symbol.asyncDispose]: close,
  }
}
