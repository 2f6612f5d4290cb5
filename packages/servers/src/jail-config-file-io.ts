import type { ConfigFileIo } from '@node/config-files'
import { jailFaultOf, type Jail } from '@node/filesystem-jail'

/** The egg's config files are read and written through the server's jail. */
export function jailConfigFileIo(jail: Jail): ConfigFileIo {
  return {
    async read(path) {
      try {
        const { stream } = await jail.openRead(path)
        const chunks: Buffer[] = []
        for await (const chunk of stream) chunks.push(chunk as Buffer)
        return Buffer.concat(chunks)
      } catch (err) {
        if (jailFaultOf(err)?.reason === 'not_found') return undefined
        throw err
      }
    },
    async write(path, data) {
      await jail.writeFile(path, data)
    },
  }
}
