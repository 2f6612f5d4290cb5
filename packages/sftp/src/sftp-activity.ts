/** The SFTP events of the activity log (spec behaviour §13). */
export type SftpActivityEvent =
  | 'server:sftp.write'
  | 'server:sftp.create'
  | 'server:sftp.create-directory'
  | 'server:sftp.delete'
  | 'server:sftp.rename'

/** One thing a user did over SFTP, for the activity log to store and send. */
export interface SftpActivity {
  readonly event: SftpActivityEvent
  readonly server: string
  /** The Panel user's uuid. */
  readonly user: string
  /** The client's address, without the port. */
  readonly ip: string
  /** `{"files":["/path"]}`, or `{"files":[{"from","to"}]}` for a rename. */
  readonly metadata: {
    readonly files: readonly string[] | readonly { readonly from: string; readonly to: string }[]
  }
  /** When it happened (milliseconds since the epoch). */
  readonly timestamp: number
}

/** Receives activity as it happens; must not throw (a throw is logged and dropped). */
export type SftpActivitySink = (activity: SftpActivity) => void
