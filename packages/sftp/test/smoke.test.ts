import { describe, expect, it } from 'vitest'

import { PASSWORD, startSftpServer, USERNAME } from './support/sftp-harness.js'
import { connectSftp } from './support/ssh-client.js'

describe('smoke', () => {
  it('writes and reads a file', async () => {
    await using h = await startSftpServer()
    await using c = await connectSftp(h.port, { username: USERNAME, password: PASSWORD })

    await c.call.writeFile('/a.txt', 'hello')

    expect((await c.call.readFile('/a.txt')).toString()).toBe('hello')
    expect((await c.call.readdir('/')).map((e) => e.filename)).toEqual(['a.txt'])
  })
})
