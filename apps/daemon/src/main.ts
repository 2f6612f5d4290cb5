#!/usr/bin/env node
// tsyringe needs the Reflect metadata polyfill before it is imported anywhere.
import 'reflect-metadata'

import { installCrashGuard } from './cli/crash-guard.js'
import { runCli } from './cli/run-cli.js'

installCrashGuard()

process.exitCode = await runCli(process.argv.slice(2))
