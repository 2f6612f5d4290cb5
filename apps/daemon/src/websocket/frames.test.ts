import { describe, expect, it } from 'vitest'

import { EVENT_PERMISSIONS, encodeFrame, eventArgs } from './frames.js'

describe('encodeFrame', () => {
  it('writes event and args with a trailing newline, escaping <>& as Go does', () => {
    expect(encodeFrame('console output', ['a <b> & c']).toString()).toBe(
      '{"event":"console output","args":["a \\u003cb\\u003e \\u0026 c"]}\n',
    )
  })

  it('omits args when there are none', () => {
    expect(encodeFrame('token expiring').toString()).toBe('{"event":"token expiring"}\n')
  })
})

describe('eventArgs', () => {
  it('formats a backup with snake_case keys in sorted order', () => {
    const args = eventArgs({
      name: 'backup completed',
      payload: {
        uuid: 'b1',
        isSuccessful: true,
        checksum: 'abc',
        checksumType: 'sha1',
        fileSize: 42,
      },
    })
    expect(args).toEqual([
      '{"checksum":"abc","checksum_type":"sha1","file_size":42,"is_successful":true,"uuid":"b1"}',
    ])
  })

  it('sends deleted as ["null"] and the payload-less events as [""]', () => {
    expect(eventArgs({ name: 'deleted', payload: undefined })).toEqual(['null'])
    for (const name of [
      'install started',
      'install completed',
      'backup restore completed',
    ] as const)
      expect(eventArgs({ name, payload: undefined })).toEqual([''])
  })

  it('passes text payloads through unchanged', () => {
    expect(eventArgs({ name: 'status', payload: 'running' })).toEqual(['running'])
    expect(eventArgs({ name: 'transfer status', payload: 'failure' })).toEqual(['failure'])
  })
})

describe('EVENT_PERMISSIONS', () => {
  it('guards install output, backups and transfer logs only', () => {
    expect(EVENT_PERMISSIONS).toEqual({
      'install output': 'admin.websocket.install',
      'backup completed': 'backup.read',
      'transfer logs': 'admin.websocket.transfer',
    })
  })
})
