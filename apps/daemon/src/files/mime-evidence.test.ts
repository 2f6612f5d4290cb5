import { describe, expect, it } from 'vitest'

import type { JailStats } from '@node/filesystem-jail'

import { cheapMime, sniffMime } from './mime-evidence.js'

const stats = (kind: JailStats['kind'], size = 10): JailStats => ({
  kind,
  mode: 0o644,
  size,
  nlink: 1,
  uid: 0,
  gid: 0,
  dev: 0,
  ino: 0,
  atimeMs: 0,
  mtimeMs: 0,
  ctimeMs: 0,
})

describe('cheapMime', () => {
  it.each([
    ['world', stats('directory'), 'inode/directory'],
    ['link.txt', stats('symlink'), 'application/octet-stream'],
    ['pipe', stats('fifo'), 'application/octet-stream'],
    ['empty', stats('file', 0), 'text/plain; charset=utf-8'],
    ['a.txt', stats('file'), 'text/plain; charset=utf-8'],
    ['a.json', stats('file'), 'application/json'],
    ['a.tar.gz', stats('file'), 'application/gzip'],
    ['server.jar', stats('file'), 'application/java-archive'],
    ['server.properties', stats('file'), 'text/plain; charset=utf-8'],
    ['level.dat', stats('file'), 'application/octet-stream'],
    ['start.BAT', stats('file'), 'text/plain; charset=utf-8'],
    ['eula', stats('file'), undefined],
    ['.bashrc', stats('file'), undefined],
    ['x.unknownext', stats('file'), undefined],
  ])('%s is %s', (name, st, mime) => {
    expect(cheapMime(name, st)).toBe(mime)
  })
})

describe('sniffMime', () => {
  it('tells text from binary', () => {
    expect(sniffMime(Buffer.from('eula=true\n'))).toBe('text/plain; charset=utf-8')
    expect(sniffMime(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00]))).toBe('application/octet-stream')
    expect(sniffMime(Buffer.from([0xff, 0xfe, 0xfd, 0x80, 0x81, 0x82]))).toBe(
      'application/octet-stream',
    )
    // A multi-byte character cut by the 512-byte window is still text.
    expect(sniffMime(Buffer.from('héllo é').subarray(0, 8))).toBe('text/plain; charset=utf-8')
  })
})
