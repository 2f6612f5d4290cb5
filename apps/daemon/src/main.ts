#!/usr/bin/env node
// tsyringe needs the Reflect metadata polyfill before it is imported anywhere.
import 'reflect-metadata'

import { runCli } from './cli/run-cli.js'

process.exitCode = await runCli(process.argv.slice(2))
