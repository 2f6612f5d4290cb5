import { readFile } from 'node:fs/promises'

let version: string | undefined

/** The daemon's version, from its package.json (no leading `v`). */
export async function daemonVersion(): Promise<string> {
  version ??= (
    JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
  ).version
  return version
}
