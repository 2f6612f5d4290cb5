import { describe, expect, it } from 'vitest'

import { InvalidPanelDataError } from './invalid-panel-data-error.js'
import {
  parseBackupUploadParts,
  parseInstallationScript,
  parseSftpAuthResult,
} from './parse-remote-responses.js'

function fieldOf(run: () => unknown): string {
  try {
    run()
  } catch (err) {
    if (err instanceof InvalidPanelDataError) return err.field
    throw err
  }
  throw new Error('accepted')
}

describe('parseInstallationScript', () => {
  it('reads the script and turns Windows line endings into \\n', () => {
    const raw = {
      container_image: 'ghcr.io/pterodactyl/installers:alpine',
      entrypoint: 'ash',
      script: '#!/bin/ash\r\n# Paper Installation Script\r\necho done\r\n',
    }

    expect(parseInstallationScript(raw)).toEqual({
      containerImage: 'ghcr.io/pterodactyl/installers:alpine',
      entrypoint: 'ash',
      script: '#!/bin/ash\n# Paper Installation Script\necho done\n',
    })
  })

  it('reads a null script as empty', () => {
    const raw = { container_image: 'alpine', entrypoint: 'ash', script: null }

    expect(parseInstallationScript(raw).script).toBe('')
  })

  it.each([
    ['the installation script', []],
    ['container_image', { container_image: 1, entrypoint: 'ash', script: '' }],
    ['entrypoint', { container_image: 'a', entrypoint: ['ash'], script: '' }],
    ['script', { container_image: 'a', entrypoint: 'ash', script: { body: '' } }],
  ])('rejects a malformed %s', (field, raw) => {
    expect(fieldOf(() => parseInstallationScript(raw))).toBe(field)
  })
})

describe('parseBackupUploadParts', () => {
  it('reads the part URLs and the part size', () => {
    const raw = {
      parts: [
        'https://bucket.s3.amazonaws.com/d3aac109/8f14e45f.tar.gz?partNumber=1&uploadId=abc',
        'https://bucket.s3.amazonaws.com/d3aac109/8f14e45f.tar.gz?partNumber=2&uploadId=abc',
      ],
      part_size: 5368709120,
    }

    expect(parseBackupUploadParts(raw)).toEqual({ parts: raw.parts, partSize: 5368709120 })
  })

  it.each([
    ['parts', { parts: [], part_size: 10 }],
    ['parts', { parts: 'https://s3', part_size: 10 }],
    ['parts[0]', { parts: [5], part_size: 10 }],
    ['parts[1]', { parts: ['https://s3.example/1', 'not a url'], part_size: 10 }],
    ['parts[0]', { parts: ['file:///etc/passwd'], part_size: 10 }],
    ['part_size', { parts: ['https://s3.example/1'] }],
    ['part_size', { parts: ['https://s3.example/1'], part_size: 0 }],
    ['part_size', { parts: ['https://s3.example/1'], part_size: '5G' }],
  ])('rejects a malformed %s', (field, raw) => {
    expect(fieldOf(() => parseBackupUploadParts(raw))).toBe(field)
  })
})

describe('parseSftpAuthResult', () => {
  it('reads the user, the server and the permissions', () => {
    const raw = {
      user: '5e4c2b8a-7f61-4c1e-9a3d-2b7f0c9e8d41',
      server: 'd3aac109-e5e0-4331-b03e-3454f7e136dc',
      permissions: ['*'],
    }

    expect(parseSftpAuthResult(raw)).toEqual(raw)
  })

  it.each([
    ['server', { user: 'u', permissions: [] }],
    ['server', { user: 'u', server: '', permissions: [] }],
    ['user', { user: 5, server: 's', permissions: [] }],
    ['permissions', { user: 'u', server: 's', permissions: 'file.read' }],
    ['permissions[1]', { user: 'u', server: 's', permissions: ['file.read', null] }],
  ])('rejects a malformed %s', (field, raw) => {
    expect(fieldOf(() => parseSftpAuthResult(raw))).toBe(field)
  })
})
