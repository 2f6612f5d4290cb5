/**
 * Where the egg's configuration files live. The daemon passes the server's filesystem jail, so
 * confinement to the server root (and symlink refusal) happens there, never here.
 */
export interface ConfigFileIo {
  /** Resolves to the file's bytes, or `undefined` when no file exists at `path`. */
  read(path: string): Promise<Buffer | undefined>
  /** Creates or replaces the file at `path` with `data` (new files with mode 0644). */
  write(path: string, data: Buffer): Promise<void>
}
