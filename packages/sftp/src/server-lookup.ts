import type { Jail } from '@node/filesystem-jail'

/**
 * What the SFTP server needs to know about one server of this node. It is looked up again for
 * every request, so a flag that changes (suspension, an install starting) applies at once.
 */
export interface SftpServerView {
  /** The server's files: its root, quota and egg deny list are the jail's. */
  readonly jail: Jail
  readonly suspended: boolean
  readonly installing: boolean
  readonly restoring: boolean
  readonly transferring: boolean
}

/** The server with this uuid, or undefined when the node has no such server (any more). */
export type SftpServerLookup = (serverUuid: string) => SftpServerView | undefined

/** Why the server cannot be used now, or undefined when it can (behaviour §11, [pelican]). */
export function unavailableReason(server: SftpServerView): string | undefined {
  if (server.suspended) return 'suspended'
  if (server.installing) return 'installing'
  if (server.restoring) return 'restoring'
  if (server.transferring) return 'transferring'
  return undefined
}
