import type { BackupUploadParts, InstallationScript, SftpAuthResult } from '@node/server-state'

import {
  fail,
  join,
  readArray,
  readInteger,
  readObject,
  readRequiredString,
  readString,
  readStringArray,
} from './wire-reader.js'

/**
 * `GET /servers/{uuid}/install` (§5). `script` may be null (empty); Windows line endings, which
 * eggs imported from Windows carry, become `\n` as the reference does before running it.
 */
export function parseInstallationScript(raw: unknown): InstallationScript {
  const body = readObject(raw, 'the installation script')
  return {
    containerImage: readString(body.container_image, 'container_image'),
    entrypoint: readString(body.entrypoint, 'entrypoint'),
    script: readString(body.script, 'script').replaceAll('\r\n', '\n'),
  }
}

/** `GET /backups/{uuid}?size=` (§6.1): one presigned URL per part and the part size. */
export function parseBackupUploadParts(raw: unknown): BackupUploadParts {
  const body = readObject(raw, 'the backup upload parts')
  const parts = readArray(body.parts, 'parts').map((part, index) => {
    const field = join('parts', index)
    if (typeof part !== 'string') fail(field, 'a URL string', part)
    let url: URL
    try {
      url = new URL(part)
    } catch {
      fail(field, 'an absolute URL', part)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(field, 'an http(s) URL', part)
    return part
  })
  if (parts.length === 0) fail('parts', 'at least one part URL', body.parts)
  const partSize = readInteger(body.part_size, 'part_size', { min: 1 })
  return { parts, partSize }
}

/** `POST /sftp/auth` (§7): who logged in, to which server, with which permissions. */
export function parseSftpAuthResult(raw: unknown): SftpAuthResult {
  const body = readObject(raw, 'the SFTP authentication result')
  return {
    user: readString(body.user, 'user'),
    server: readRequiredString(body.server, 'server'),
    permissions: readStringArray(body.permissions, 'permissions'),
  }
}
