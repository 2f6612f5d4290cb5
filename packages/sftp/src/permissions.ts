/** What a Panel permission list grants; `*` (owners and admins) grants everything. */
export type SftpPermission =
  'file.sftp' | 'file.read' | 'file.read-content' | 'file.create' | 'file.update' | 'file.delete'

export class Permissions {
  readonly #granted: ReadonlySet<string>

  constructor(granted: readonly string[]) {
    this.#granted = new Set(granted)
  }

  has(permission: SftpPermission): boolean {
    return this.#granted.has('*') || this.#granted.has(permission)
  }
}
