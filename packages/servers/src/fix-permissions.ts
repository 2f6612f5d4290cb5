import { lchown, opendir } from 'node:fs/promises'
import path from 'node:path'

/**
 * `check_permissions_on_boot` (behaviour §3.2 step 2f): hands every file under `root` to the
 * server's user, never following a symlink (lchown, and only real directories are entered). It
 * runs in the start preflight, while the server's process is not running, so nothing inside can
 * swap a directory for a link under it.
 */
export async function chownTree(root: string, uid: number, gid: number): Promise<void> {
  await lchown(root, uid, gid)
  const dir = await opendir(root)
  for await (const entry of dir) {
    const child = path.join(root, entry.name)
    if (entry.isDirectory()) await chownTree(child, uid, gid)
    else await lchown(child, uid, gid)
  }
}
