#!/usr/bin/env node
// The `loadlab` command: runs the compiled CLI (harness/dist). Exit codes: 0 pass, 1 error,
// 2 bad usage or configuration, 99 a threshold or gate failed, 130/143/129 interrupted.
import { existsSync } from 'node:fs'

const entry = new URL('../dist/cli/loadlab.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('loadlab: the harness is not built: run `npm run build` (or `make build`) first\n')
  process.exit(2)
}
// A reader that went away (`loadlab ... | head`, a closed terminal, a killed npx) must not crash
// a run that is still stopping its processes and writing its reports.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
const { main } = await import(entry.href)
const code = await main(process.argv)
process.exitCode = code
// Exit once stdout has drained, even if a library left a socket or timer open.
setTimeout(() => process.exit(code), 250).unref()
