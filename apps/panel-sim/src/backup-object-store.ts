/** One uploaded part, as the daemon reports it in R11. */
export interface UploadedPart {
  readonly etag: string
  readonly partNumber: number
}

/**
 * The S3 side of the Panel's backup routes (R10 part URLs, R11 completion, restore download URLs).
 * `@node/panel-sim` ships the AWS SDK's client (`S3ObjectStore`) and a URL-only stand-in.
 */
export interface BackupObjectStore {
  /** Starts a multipart upload for `key` and resolves with its upload id. */
  createMultipartUpload(key: string): Promise<string>
  /** One presigned `UploadPart` URL per part number 1..count. */
  partUrls(key: string, uploadId: string, count: number): Promise<string[]>
  /** `parts` null means "use the parts S3 has" (ListParts), as the Panel does. */
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly UploadedPart[] | null,
  ): Promise<void>
  abortMultipartUpload(key: string, uploadId: string): Promise<void>
  /** A presigned `GetObject` URL (5 minutes in the Panel). */
  downloadUrl(key: string): Promise<string>
  /** Releases connections. */
  destroy(): void
}

/**
 * URLs only, against a configurable base URL; nothing is called. Enough for daemons whose S3
 * target is itself a test double that accepts any upload id.
 */
export class UrlOnlyObjectStore implements BackupObjectStore {
  readonly #baseUrl: string
  #uploads = 0

  constructor(options: { baseUrl: string }) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '')
  }

  createMultipartUpload(_key: string): Promise<string> {
    this.#uploads++
    return Promise.resolve(`sim-upload-${this.#uploads}-${Date.now().toString(36)}`)
  }

  partUrls(key: string, uploadId: string, count: number): Promise<string[]> {
    return Promise.resolve(
      Array.from(
        { length: count },
        (_, i) =>
          `${this.#baseUrl}/${key}?partNumber=${i + 1}&uploadId=${encodeURIComponent(uploadId)}`,
      ),
    )
  }

  completeMultipartUpload(): Promise<void> {
    return Promise.resolve()
  }

  abortMultipartUpload(): Promise<void> {
    return Promise.resolve()
  }

  downloadUrl(key: string): Promise<string> {
    return Promise.resolve(`${this.#baseUrl}/${key}`)
  }

  destroy(): void {}
}
