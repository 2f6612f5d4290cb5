#!/usr/bin/env node
// Prints the suite's closing line in the plain form every CI reader understands
// ("N passed, N failed, N skipped"), from vitest's JSON report.
import { readFileSync } from 'node:fs'

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const skipped = report.numPendingTests + report.numTodoTests
console.log(
  `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`,
)
process.exit(report.success ? 0 : 1)
