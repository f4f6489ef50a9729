import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { importHar } from '../workload/har-import.js'
import { UsageError } from '../runner/usage-error.js'

/** defineScenario of this installation (harness/{src,dist}/cli/ -> harness/src/scenario/), which scenario files import. */
const DEFINE_SCENARIO = fileURLToPath(new URL('../../src/scenario/define-scenario.js', import.meta.url))

export interface ImportHarOptions {
  out?: string
  includeStatic?: boolean
  keepAuth?: boolean
}

/**
 * `loadlab import har <file.har>`: writes the scenario to --out (or stdout) and says on stderr
 * what was left out. Throws UsageError/HarImportError (exit 2) for a missing or unreadable
 * recording and for an --out that exists (a scenario is not overwritten silently).
 */
export function importHarCommand(file: string, opts: ImportHarOptions): void {
  if (!existsSync(file)) throw new UsageError(`${file} does not exist: give the path of a .har file (the browser's network panel: "Save all as HAR")`)
  const out = opts.out ? path.resolve(opts.out) : null
  if (out && existsSync(out)) throw new UsageError(`--out ${opts.out} exists already; choose another file or delete it first`)
  let importPath = path
    .relative(path.dirname(out ?? path.resolve('scenario.ts')), DEFINE_SCENARIO)
    .split(path.sep)
    .join('/')
  if (!importPath.startsWith('.')) importPath = `./${importPath}`
  const name =
    path
      .basename(file)
      .replace(/\.har$/i, '')
      .replace(/[^A-Za-z0-9._-]+/g, '-') || 'imported'
  const result = importHar(readFileSync(file, 'utf8'), file, {
    includeStatic: opts.includeStatic,
    keepAuth: opts.keepAuth,
    name,
    defineScenarioImport: importPath,
  })
  if (out) writeFileSync(out, result.text)
  else process.stdout.write(result.text)
  const lines = [`imported ${result.requests} request(s) against ${result.target}${out ? ` into ${out}` : ''}`, ...result.notes.map((n) => `  note: ${n}`)]
  if (out) lines.push(`run it with: loadlab run ${path.relative(process.cwd(), out) || out}`)
  process.stderr.write(`${lines.join('\n')}\n`)
}

export function registerImportCommand(program: Command): void {
  const cmd = program.command('import').description('turn a recording into a scenario file')
  cmd
    .command('har')
    .description('a browser or proxy recording (HAR) -> an HTTP scenario: target from its origin, one request per method + path, weighted by count')
    .argument('<file.har>', 'the recording')
    .option('--out <scenario.ts>', 'write the scenario here (default: print it)')
    .option('--include-static', 'keep images, fonts, css and js requests')
    .option('--keep-auth', 'keep cookies and authorization headers')
    .action((file: string, opts: ImportHarOptions) => importHarCommand(file, opts))
}
