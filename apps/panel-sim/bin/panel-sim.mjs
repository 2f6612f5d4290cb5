#!/usr/bin/env node
// A committed shim, so pnpm can link the bin before `pnpm build` has produced dist/.
import { main } from '../dist/cli.js'

await main()
