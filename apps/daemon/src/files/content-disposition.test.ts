import { describe, expect, it } from 'vitest'

import { contentDisposition } from './content-disposition.js'

describe('contentDisposition', () => {
  it('sends a printable ASCII name as the reference does', () => {
    expect(contentDisposition('server.properties')).toBe('attachment; filename="server.properties"')
    expect(contentDisposition('a "b" \\c.txt')).toBe('attachment; filename="a \\"b\\" \\\\c.txt"')
  })

  it('sends any other name as an ASCII stand-in plus its percent-encoded UTF-8', () => {
    expect(contentDisposition('x\u010D\u010A.txt')).toBe(
      'attachment; filename="x__.txt"; filename*=UTF-8\'\'x%C4%8D%C4%8A.txt',
    )
    expect(contentDisposition('😀 (1).txt')).toBe(
      'attachment; filename="_ (1).txt"; filename*=UTF-8\'\'%F0%9F%98%80%20%281%29.txt',
    )
    expect(contentDisposition('a\r\nb')).toBe(
      'attachment; filename="a__b"; filename*=UTF-8\'\'a%0D%0Ab',
    )
  })

  it('encodes a lone surrogate as U+FFFD instead of throwing', () => {
    expect(contentDisposition('\ud800.txt')).toBe(
      'attachment; filename="_.txt"; filename*=UTF-8\'\'%EF%BF%BD.txt',
    )
  })
})
