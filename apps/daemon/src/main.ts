#!/usr/bin/env node
// tsyringe needs the Reflect metadata polyfill before it is imported anywhere.
import 'reflect-metadata'

import { installCrashGuard } from './cli/crash-guard.js'
import { runCli } from './cli/run-cli.js'

installCrashGuard()

process.exitCode = await runCli(process.argv.slice(2))
// A command is done once it returns: a socket or timer left open (a keep-alive connection to the
// Panel) must not keep the process alive. Unref'd: a process with nothing left exits before.
setTimeout(() => process.exit(), 1000).unref()
