import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, runLoadlab } from './support/run-fixtures.js'

// `loadlab run --reporter`: a built-in name or a module of the user's own, heard like the built-in
// reporters. The scenario targets a closed port on this machine, so the run fails at once without
// starting anything, and every reporter still hears the whole suite.
const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-reporters-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const scenarioFile = path.join(dir, 'unreachable.ts')
writeFileSync(
  scenarioFile,
  `import { defineScenario } from ${JSON.stringify(path.join(REPO_ROOT, 'harness/src/scenario/define-scenario.js'))}
export default defineScenario({
  name: 'unreachable', kind: 'performance', description: '',
  target: 'http://127.0.0.1:9',
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 10 },
  load: { model: 'closed', connections: 1, durationS: 1 },
})
`,
)

describe('loadlab run --reporter', () => {
  it('an unknown reporter exits 2 naming it and the built-in ones, before anything runs', async () => {
    const out = path.join(dir, 'out-unknown')
    const run = runLoadlab(['run', scenarioFile, '--out', out, '--reporter', 'tap'])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toMatch(/--reporter "tap": not a reporter; use one of console, json, html, junit, markdown/)
    expect(existsSync(path.join(out, 'results.json'))).toBe(false)
  })

  it('a reporter module hears every event, its async hooks are awaited, and the default reports are still written', async () => {
    const log = path.join(dir, 'events.log')
    const module = path.join(dir, 'event-log-reporter.ts')
    writeFileSync(
      module,
      `import { appendFile } from 'node:fs/promises'
export default class EventLog {
  constructor(private readonly options: { outDir: string }) {}
  private note(line: string) { return appendFile(${JSON.stringify(log)}, line + '\\n') }
  async onPlan(plan: { runs: unknown[] }) { await this.note('plan ' + plan.runs.length + ' ' + this.options.outDir) }
  async onRunStart(run: { id: string }) { await this.note('start ' + run.id) }
  async onRunEnd(result: { status: string }, suite: { runs: unknown[] }) { await this.note('end ' + result.status + ' ' + suite.runs.length) }
  async onEnd(suite: { verdict: { exitCode: number } }) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    await this.note('suite ' + suite.verdict.exitCode)
  }
}
`,
    )
    const out = path.join(dir, 'out-module')
    const run = runLoadlab(['run', scenarioFile, '--out', out, '--reporter', module])
    expect(await run.exited).toBe(1)
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([`plan 1 ${out}`, 'start unreachable #1', 'end failed 1', 'suite 1'])
    for (const file of ['results.json', 'index.html', 'junit.xml', 'summary.md']) expect(existsSync(path.join(out, file))).toBe(true)
  })

  it('--summary-export FILE adds the summary-export reporter: k6 JSON in that file, and its own message when it cannot be written', async () => {
    const file = path.join(dir, 'ci', 'k6-summary.json')
    const blocker = path.join(dir, 'blocker')
    writeFileSync(blocker, '')
    const [named, byName, failing] = [
      runLoadlab(['run', scenarioFile, '--out', path.join(dir, 'out-k6'), '--summary-export', file]),
      runLoadlab(['run', scenarioFile, '--out', path.join(dir, 'out-k6-reporter'), '--reporter', 'summary-export']),
      runLoadlab(['run', scenarioFile, '--out', path.join(dir, 'out-k6-failing'), '--summary-export', path.join(blocker, 'k6.json')]),
    ]
    expect(await named.exited, named.stderr()).toBe(1)
    expect(named.stdout()).toContain(`k6 summary: ${file}`)
    const k6 = JSON.parse(readFileSync(file, 'utf8')) as { root_group: unknown; metrics: Record<string, unknown> }
    expect(k6.root_group).toMatchObject({ id: 'd41d8cd98f00b204e9800998ecf8427e' })
    expect(k6.metrics).toHaveProperty('http_req_failed')
    expect(await byName.exited, byName.stderr()).toBe(1)
    expect(JSON.parse(readFileSync(path.join(dir, 'out-k6-reporter', 'summary-export.json'), 'utf8'))).toHaveProperty('metrics.http_reqs')
    expect(await failing.exited, failing.stderr()).toBe(1)
    expect(failing.stderr()).toMatch(
      /--summary-export \S*blocker\/k6\.json: cannot write it \(.*(EEXIST|ENOTDIR).*\); results\.json and the reports above are complete\n/,
    )
    expect(failing.stderr()).not.toMatch(/reporter failed/)
    expect(failing.stdout()).not.toContain('k6 summary:')
    expect(existsSync(path.join(dir, 'out-k6-failing', 'results.json'))).toBe(true)
  })

  it('a module without a reporter exits 2 naming the hooks it lacks', async () => {
    const module = path.join(dir, 'not-a-reporter.ts')
    writeFileSync(module, 'export default { hello: 1 }\n')
    const run = runLoadlab(['run', scenarioFile, '--out', path.join(dir, 'out-bad-module'), '--reporter', module])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toMatch(/default export has none of the hooks onPlan, .*onEnd/)
  })
})
