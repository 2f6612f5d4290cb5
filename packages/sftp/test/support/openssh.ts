import { spawn } from 'node:child_process'
import { chmod, writeFile } from 'node:fs/promises'
import path from 'node:path'

export interface CommandResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `command` with `input` on stdin; kills it after `timeoutMs`. */
export function run(
  command: string,
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input ?? '')
  })
}

/** Files that point OpenSSH at the test server and nothing else (no user config, no agent). */
export interface OpenSshSetup {
  /** Options common to `ssh` and `sftp`. */
  readonly options: readonly string[]
  /** The private key file, for `-i`. */
  readonly keyFile: string
  /** Environment that makes a password login read `password` from an askpass script. */
  readonly askpassEnv: NodeJS.ProcessEnv
}

export async function openSshSetup(
  dir: string,
  options: { port: number; hostPublicKey: string; privateKey: string; password: string },
): Promise<OpenSshSetup> {
  const keyFile = path.join(dir, 'id_ed25519')
  await writeFile(keyFile, `${options.privateKey}\n`, { mode: 0o600 })
  const knownHosts = path.join(dir, 'known_hosts')
  await writeFile(knownHosts, `[127.0.0.1]:${options.port} ${options.hostPublicKey}\n`)
  const askpass = path.join(dir, 'askpass.sh')
  await writeFile(askpass, `#!/bin/sh\nprintf '%s\\n' '${options.password}'\n`)
  await chmod(askpass, 0o700)
  return {
    keyFile,
    options: [
      '-F',
      '/dev/null',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'IdentityAgent=none',
      '-o',
      'ConnectTimeout=20',
    ],
    askpassEnv: {
      SSH_ASKPASS: askpass,
      SSH_ASKPASS_REQUIRE: 'force',
      DISPLAY: ':0',
      HOME: dir,
    },
  }
}
