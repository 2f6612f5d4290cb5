import fs from 'node:fs/promises'

import { fromNodeStats, type JailStats } from '../jail-stats.js'
import {
  type Backend,
  MAX_SYMLINKS,
  O_DIRECTORY,
  O_NOFOLLOW,
  O_PATH,
  procFd,
  procPath,
  systemError,
} from './backend.js'
import { decodeName, encodeName, nameByteLength } from '../name-bytes.js'
import { closeFd, closeQuietly, fstatFd, openFd } from './fd.js'

/**
 * The pure-JS mode. Each component is opened relative to the descriptor of its parent through
 * `/proc/self/fd/<dirfd>/<name>` with O_PATH | O_NOFOLLOW, so a symlink swapped in at any moment
 * is opened as a link, never followed by the kernel. Links are followed here instead, by reading
 * them and resolving their targets on a stack of open descriptors: `..` pops the stack, popping
 * the root fails with EXDEV, and absolute targets fail with EXDEV, as RESOLVE_BENEATH does.
 */
export class WalkBackend implements Backend {
  readonly mode = 'walk'

  async openPath(
    rootFd: number,
    components: readonly string[],
    followLast: boolean,
    directory: boolean,
  ): Promise<number> {
    const stack: number[] = []
    const queue = [...components]
    let links = 0
    let lastKind: JailStats['kind'] = 'directory'
    try {
      while (queue.length > 0) {
        const name = queue.shift()!
        if (name === '' || name === '.') continue
        const parent = stack.at(-1) ?? rootFd
        if (name === '..') {
          if (stack.length === 0) throw systemError('EXDEV', 'openat')
          await closeFd(stack.pop()!)
          lastKind = 'directory'
          continue
        }
        if (nameByteLength(name) > 255) throw systemError('ENAMETOOLONG', 'openat')
        const fd = await openFd(procPath(parent, name), O_PATH | O_NOFOLLOW)
        const { kind } = await fstatFd(fd).catch(async (error: unknown) => {
          await closeQuietly(fd)
          throw error
        })
        const last = queue.length === 0
        if (kind === 'symlink' && (!last || followLast)) {
          await closeFd(fd)
          if (++links > MAX_SYMLINKS) throw systemError('ELOOP', 'openat')
          const target = await this.readlinkAt(parent, name).catch((error: unknown) => {
            // Replaced by a non-link since we looked: refuse rather than guess.
            throw (error as NodeJS.ErrnoException).code === 'EINVAL'
              ? systemError('ELOOP', 'readlink')
              : error
          })
          if (target === '') throw systemError('ENOENT', 'openat')
          if (target.startsWith('/')) throw systemError('EXDEV', 'openat')
          queue.unshift(...target.split('/'))
          continue
        }
        stack.push(fd)
        lastKind = kind
        if (!last && kind !== 'directory') throw systemError('ENOTDIR', 'openat')
      }
      if (directory && lastKind !== 'directory') throw systemError('ENOTDIR', 'openat')
      // The path named the root itself: hand out a descriptor of its own.
      if (stack.length === 0) return await openFd(procFd(rootFd), O_PATH | O_DIRECTORY)
      const result = stack.pop()!
      await closeQuietly(...stack)
      return result
    } catch (error) {
      await closeQuietly(...stack)
      throw error
    }
  }

  async openAt(dirFd: number, name: string, flags: number, mode: number): Promise<number> {
    return openFd(procPath(dirFd, name), flags | O_NOFOLLOW, mode)
  }

  async lstatAt(dirFd: number, name: string): Promise<JailStats> {
    return fromNodeStats(await fs.lstat(procPath(dirFd, name)))
  }

  async mkdirAt(dirFd: number, name: string, mode: number): Promise<void> {
    await fs.mkdir(procPath(dirFd, name), { mode })
  }

  async unlinkAt(dirFd: number, name: string, directory: boolean): Promise<void> {
    await (directory ? fs.rmdir(procPath(dirFd, name)) : fs.unlink(procPath(dirFd, name)))
  }

  async renameAt(
    fromDirFd: number,
    fromName: string,
    toDirFd: number,
    toName: string,
    noReplace: boolean,
  ): Promise<void> {
    const from = procPath(fromDirFd, fromName)
    const to = procPath(toDirFd, toName)
    if (!noReplace) return fs.rename(from, to)
    // No renameat2 here. A non-directory is linked under the new name (link fails with EEXIST
    // atomically), then unlinked; a directory can only be checked, then renamed.
    const source = await fs.lstat(from)
    if (!source.isDirectory()) {
      await fs.link(from, to)
      await fs.unlink(from)
      return
    }
    const exists = await fs.lstat(to).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false
        throw error
      },
    )
    if (exists) throw systemError('EEXIST', 'rename')
    await fs.rename(from, to)
  }

  async symlinkAt(target: string, dirFd: number, name: string): Promise<void> {
    await fs.symlink(encodeName(target), procPath(dirFd, name))
  }

  async readlinkAt(dirFd: number, name: string): Promise<string> {
    return decodeName(await fs.readlink(procPath(dirFd, name), { encoding: 'buffer' }))
  }
}
