import { describe, expect, it } from 'vitest'

import { helpText, parseCliArgs, UsageError } from './args.js'

function usageError(argv: string[]): UsageError {
  try {
    parseCliArgs(argv)
  } catch (err) {
    if (err instanceof UsageError) return err
    throw err
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be refused`)
}

describe('parseCliArgs', () => {
  it('starts the daemon with the default configuration path when given nothing', () => {
    expect(parseCliArgs([])).toEqual({
      command: 'start',
      config: '/etc/pterodactyl/config.yml',
      debug: false,
      ignoreCertificateErrors: false,
    })
  })

  it('reads --config and --debug, in both --flag value and --flag=value forms', () => {
    expect(parseCliArgs(['--config', 'dev/config.yml', '--debug'])).toMatchObject({
      command: 'start',
      config: 'dev/config.yml',
      debug: true,
    })
    expect(parseCliArgs(['--config=/x.yml'])).toMatchObject({ config: '/x.yml' })
  })

  it('skips one leading -- as pnpm passes it', () => {
    expect(parseCliArgs(['--', '--config', 'x.yml'])).toMatchObject({
      command: 'start',
      config: 'x.yml',
    })
    expect(parseCliArgs(['--', 'diagnostics'])).toMatchObject({ command: 'diagnostics' })
  })

  it('parses configure with long and short flags', () => {
    const long = parseCliArgs([
      'configure',
      '--panel-url',
      'https://panel.example.com',
      '--token',
      'ptla_abc',
      '--node',
      '3',
      '--config-path',
      '/tmp/c.yml',
      '--override',
      '--allow-insecure',
    ])
    const short = parseCliArgs([
      'configure',
      '-p',
      'https://panel.example.com',
      '-t',
      'ptla_abc',
      '-n',
      '3',
      '-c',
      '/tmp/c.yml',
    ])

    expect(long).toEqual({
      command: 'configure',
      config: '/etc/pterodactyl/config.yml',
      debug: false,
      panelUrl: 'https://panel.example.com',
      token: 'ptla_abc',
      node: '3',
      configPath: '/tmp/c.yml',
      override: true,
      allowInsecure: true,
    })
    expect(short).toMatchObject({
      panelUrl: 'https://panel.example.com',
      token: 'ptla_abc',
      node: '3',
      override: false,
    })
  })

  it('accepts global flags before the command', () => {
    expect(
      parseCliArgs(['--config', 'c.yml', '--debug', 'diagnostics', '--log-lines', '50']),
    ).toEqual({
      command: 'diagnostics',
      config: 'c.yml',
      debug: true,
      logLines: 50,
      includeEndpoints: false,
      includeLogs: true,
    })
  })

  it('parses the start flags of Wings', () => {
    expect(parseCliArgs(['--ignore-certificate-errors'])).toMatchObject({
      command: 'start',
      ignoreCertificateErrors: true,
    })
  })

  it('refuses --auto-tls and --tls-hostname in one line saying what to do instead', () => {
    const refusal = usageError(['--auto-tls', '--tls-hostname', 'node.example.com'])

    expect(refusal.message).toBe(
      '--auto-tls is not supported: this daemon does not get certificates itself. Point ' +
        "api.ssl.cert and api.ssl.key at a certificate (certbot renews Let's Encrypt ones), " +
        'set api.ssl.enabled: true and start without --auto-tls.',
    )
    expect(refusal.message).not.toContain('\n')
    expect(usageError(['--tls-hostname', 'node.example.com']).message).toMatch(/^--auto-tls is not/)
  })

  it('answers --version, version, --help and help', () => {
    expect(parseCliArgs(['--version'])).toEqual({ command: 'version' })
    expect(parseCliArgs(['version'])).toEqual({ command: 'version' })
    expect(parseCliArgs(['--help'])).toEqual({ command: 'help', text: helpText('start') })
    expect(parseCliArgs(['configure', '-h'])).toEqual({
      command: 'help',
      text: helpText('configure'),
    })
    expect(parseCliArgs(['help', 'diagnostics'])).toEqual({
      command: 'help',
      text: helpText('diagnostics'),
    })
  })

  it('runs the demo only when asked, and it takes no configuration file', () => {
    expect(parseCliArgs(['demo'])).toEqual({ command: 'demo', debug: false })
    expect(parseCliArgs(['--', 'demo', '--debug'])).toEqual({ command: 'demo', debug: true })
    expect(parseCliArgs(['demo', '--help'])).toEqual({ command: 'help', text: helpText('demo') })
    expect(usageError(['demo', '--config', 'x.yml']).message).toMatch(
      /^Unknown flag --config for "wings demo"/,
    )
    expect(helpText('start')).toContain('wings demo')
  })

  it('refuses unknown flags with a message naming the flag and the command', () => {
    expect(usageError(['--verbose']).message).toBe(
      'Unknown flag --verbose for "wings". Run "wings --help" for usage.',
    )
    expect(usageError(['configure', '--override', '--log-lines', '3']).message).toMatch(
      /^Unknown flag --log-lines for "wings configure"/,
    )
    expect(usageError(['diagnostics', '--panel-url', 'x']).message).toMatch(
      /^Unknown flag --panel-url for "wings diagnostics"/,
    )
  })

  it('refuses unknown commands, extra arguments and missing values', () => {
    expect(usageError(['serve']).message).toBe(
      'Unknown command "serve". Run "wings --help" for usage.',
    )
    expect(usageError(['configure', 'extra']).message).toMatch(/^Unexpected argument "extra"/)
    expect(usageError(['--config']).message).toMatch(/^Flag --config needs a value/)
    expect(usageError(['--config', '']).message).toBe('Flag --config needs a non-empty value.')
  })

  it('checks the values of --node and --log-lines', () => {
    expect(usageError(['configure', '--node', 'abc']).message).toMatch(
      /--node must be the numeric id/,
    )
    expect(usageError(['diagnostics', '--log-lines', '0']).message).toMatch(
      /--log-lines must be a whole number/,
    )
  })

  it('gives usage errors exit code 2', () => {
    expect(usageError(['--nope']).exitCode).toBe(2)
  })
})
