import { stat, writeFile } from 'node:fs/promises'
import path from 'node:path'

import { LOG_FILE_NAME } from './winston-logger.js'

/** Where the reference writes its logrotate file (behaviour.md §1 step 6, §16). */
const LOGROTATE_DIRECTORY = '/etc/logrotate.d'
const FILE_NAME = 'wings'

/**
 * The reference's logrotate configuration for `<logDirectory>/wings.log`: rotated past 10 MiB,
 * compressed one rotation late, dated, kept 7 days; then the daemon is sent SIGHUP through
 * systemd and reopens its log file. Install logs are not rotated (one per server, rewritten at
 * each install), as with the reference.
 */
export function logrotateConfig(logDirectory: string): string {
  return [
    `${path.join(logDirectory, LOG_FILE_NAME)} {`,
    '    size 10M',
    '    compress',
    '    delaycompress',
    '    dateext',
    '    maxage 7',
    '    missingok',
    '    notifempty',
    '    postrotate',
    '        /usr/bin/systemctl kill -s HUP wings.service >/dev/null 2>&1 || true',
    '    endscript',
    '}',
  ].join('\n')
}

export type LogrotateOutcome = 'disabled' | 'no-logrotate' | 'present' | 'written'

/**
 * Boot step 6 (`system.enable_log_rotate`): writes `<directory>/wings` when the directory exists
 * and the file does not; an operator's own file is never replaced. Rejects when the write fails.
 */
export async function installLogrotateConfig(options: {
  readonly enabled: boolean
  readonly logDirectory: string
  readonly directory?: string
}): Promise<LogrotateOutcome> {
  if (!options.enabled) return 'disabled'
  const directory = options.directory ?? LOGROTATE_DIRECTORY
  const isDirectory = await stat(directory).then(
    (s) => s.isDirectory(),
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false
      throw err
    },
  )
  if (!isDirectory) return 'no-logrotate'
  try {
    await writeFile(path.join(directory, FILE_NAME), `${logrotateConfig(options.logDirectory)}\n`, {
      flag: 'wx',
      mode: 0o644,
    })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'present'
    throw err
  }
  return 'written'
}
