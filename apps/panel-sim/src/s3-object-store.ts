import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type StorageClass,
} from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'

import type { BackupObjectStore, UploadedPart } from './backup-object-store.js'

export interface S3ObjectStoreOptions {
  /** Path-style endpoint, e.g. `http://127.0.0.1:4569` (s3rver) or `https://s3.eu-central-1.amazonaws.com`. */
  readonly endpoint: string
  readonly bucket: string
  /** Default `us-east-1`. */
  readonly region?: string
  /** Default `S3RVER` (s3rver's built-in credentials). */
  readonly accessKeyId?: string
  readonly secretAccessKey?: string
  /** `BACKUP_PRESIGNED_URL_LIFESPAN` in minutes for part URLs; default 60. */
  readonly presignedUrlLifespanMinutes?: number
  /** Optional storage class of new uploads (`BACKUP_STORAGE_CLASS`). */
  readonly storageClass?: string
  /** Receives the simulator's notes (an endpoint that cannot abort uploads). */
  readonly log?: (line: string) => void
}

/** How long the Panel's restore download URL lives (A.6). */
const DOWNLOAD_URL_SECONDS = 5 * 60

/**
 * The Panel's S3 calls for backups (C.5), made with the AWS SDK as the Panel's own S3 adapter
 * makes them: the multipart upload created, completed and aborted with the Panel's credentials,
 * and presigned `UploadPart` and `GetObject` URLs for the daemon, which never sees a credential.
 */
export class S3ObjectStore implements BackupObjectStore {
  readonly #client: S3Client
  readonly #bucket: string
  readonly #lifespanSeconds: number
  readonly #storageClass: string | undefined
  readonly #log: (line: string) => void

  constructor(options: S3ObjectStoreOptions) {
    this.#client = new S3Client({
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      forcePathStyle: true,
      credentials: {
        accessKeyId: options.accessKeyId ?? 'S3RVER',
        secretAccessKey: options.secretAccessKey ?? 'S3RVER',
      },
      // Presigned part URLs must not carry a checksum of an empty body; the daemon sends the data.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    })
    this.#bucket = options.bucket
    this.#lifespanSeconds = (options.presignedUrlLifespanMinutes ?? 60) * 60
    this.#storageClass = options.storageClass
    this.#log = options.log ?? (() => undefined)
  }

  async createMultipartUpload(key: string): Promise<string> {
    const created = await this.#client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.#bucket,
        Key: key,
        ContentType: 'application/x-gzip',
        ...(this.#storageClass ? { StorageClass: this.#storageClass as StorageClass } : {}),
      }),
    )
    if (!created.UploadId) throw new Error('CreateMultipartUpload returned no UploadId')
    return created.UploadId
  }

  partUrls(key: string, uploadId: string, count: number): Promise<string[]> {
    return Promise.all(
      Array.from({ length: count }, (_, i) =>
        getSignedUrl(
          this.#client,
          new UploadPartCommand({
            Bucket: this.#bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: i + 1,
          }),
          { expiresIn: this.#lifespanSeconds },
        ),
      ),
    )
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly UploadedPart[] | null,
  ): Promise<void> {
    const list = parts ?? (await this.#listParts(key, uploadId))
    await this.#client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.#bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [...list]
            .sort((a, b) => a.partNumber - b.partNumber)
            .map((p) => ({ ETag: p.etag, PartNumber: p.partNumber })),
        },
      }),
    )
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.#client.send(
        new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId }),
      )
    } catch (error) {
      // s3rver has no AbortMultipartUpload (405). Real S3 would drop the parts; the object was
      // never completed either way, so the simulator carries on as the Panel would after S3's 204.
      const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : 0
      if (status !== 405 && status !== 501) throw error
      this.#log(`S3 endpoint cannot abort multipart uploads (HTTP ${status}); upload ${key} left`)
    }
  }

  downloadUrl(key: string): Promise<string> {
    return getSignedUrl(this.#client, new GetObjectCommand({ Bucket: this.#bucket, Key: key }), {
      expiresIn: DOWNLOAD_URL_SECONDS,
    })
  }

  /** Closes the SDK's connections. */
  destroy(): void {
    this.#client.destroy()
  }

  async #listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    const listed = await this.#client.send(
      new ListPartsCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId }),
    )
    return (listed.Parts ?? []).map((p) => ({ etag: p.ETag ?? '', partNumber: p.PartNumber ?? 0 }))
  }
}
