import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { uslThroughput } from '../src/analysis/usl-fit.js'
import { registerCapacityCommands } from '../src/cli/capacity-commands.js'
import { CliExit, registerCompareCommand } from '../src/cli/compare-command.js'
import { makeSuiteResult } from './fixtures/suite-fixtures.js'

let dir: string
const file = (name: string) => path.join(dir, name)

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'loadlab-gates-cli-'))
  const write = (name: string, value: unknown) => writeFileSync(file(name), typeof value === 'string' ? value : JSON.stringify(value))
  const two = (medianMs: number, seed: number) => makeSuiteResult({ runs: [1, 2].map((repetition) => ({ cell: { cache: 'lru' }, medianMs, seed: seed + repetition, repetition })) })
  write('old.json', two(10, 10))
  write('same.json', two(10, 20))
  write('slow.json', two(13, 30))
  write('one-old.json', makeSuiteResult({ runs: [{ cell: { cache: 'lru' }, medianMs: 10, seed: 1 }] }))
  write('one-slow.json', makeSuiteResult({ runs: [{ cell: { cache: 'lru' }, medianMs: 13, seed: 3 }] }))
  for (let build = 1; build <= 6; build++) {
    mkdirSync(file(`history/build-${build}`), { recursive: true })
    const s = makeSuiteResult({ runs: [{ cell: { cache: 'lru' }, medianMs: 10, seed: 100 + build }] })
    s.runs[0].startedAt = new Date(Date.UTC(2026, 0, build)).toISOString()
    write(`history/build-${build}/results.json`, s)
  }
  write('v9.json', { ...makeSuiteResult(), schemaVersion: 9 })
  const broken = makeSuiteResult() as unknown as { runs: Array<{ metrics: { http_reqs: unknown } }> }
  broken.runs[0].metrics.http_reqs = { count: 'many' }
  write('broken.json', broken)
  write('notjson.json', '{"runs": [')
  const truth = { sigma: 0.05, kappa: 0.004, lambda: 800 }
  write('scale.csv', ['n,throughput', ...[1, 2, 3, 4, 6, 8, 12].map((n) => `${n},${uslThroughput(truth, n).toFixed(1)}`)].join('\n'))
  write('bad.csv', 'n,throughput\n1,800\n2,abc\n')
  write('noheader.csv', '1,800\n2,1500\n')
  write('scale.json', makeSuiteResult({ kind: 'scale-out', runs: [1, 2, 4, 8].map((n) => ({ cell: { replicas: n }, rps: uslThroughput(truth, n), seed: n, noise: 0.01 })) }))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** Runs `loadlab <args>` with only our commands; returns the exit code the root program would use. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) }
  const program = new Command('loadlab').exitOverride().configureOutput({ writeOut: (t) => void (out += t), writeErr: (t) => void (err += t) })
  registerCompareCommand(program, io)
  registerCapacityCommands(program, io)
  try {
    await program.parseAsync(args, { from: 'user' })
    return { code: 0, out, err }
  } catch (error) {
    const code = (error as { exitCode?: unknown }).exitCode
    if (!(error instanceof Error) || typeof code !== 'number') throw error
    if (!(error.name === 'CommanderError')) err += `${error.message}\n`
    return { code: error.name === 'CommanderError' ? 2 : code, out, err }
  }
}

describe('loadlab compare', () => {
  it('prints each metric with its change and interval, writes nothing, and exits 0 on noise', async () => {
    const r = await cli(['compare', file('old.json'), file('same.json')])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/cache=lru\s+[\d.]+ ms ->\s+[\d.]+ ms\s+2 vs 2 runs\s+p95 latency [+−][\d.]+% \(95% CI [+−][\d.]+% to [+−][\d.]+%\): /)
    expect(r.out).toMatch(/\n(no regression beyond the tolerance|no regression proven, but \d of 4 checks cannot tell)\n$/)
    expect(r.out).not.toMatch(/no significant/)
    expect(existsSync(file('comparison.json'))).toBe(false)
  })

  it('exits 99 on a 30% slowdown and writes comparison.json/md with --out', async () => {
    const out = file('cmp')
    const r = await cli(['compare', file('old.json'), file('slow.json'), '--tolerance', '0.05', '--out', out])
    expect(r.code).toBe(99)
    expect(r.out).toMatch(/REGRESSION\s+cache=lru .* p95 latency \+\d\d% \(95% CI \+\d+\.?\d*% to \+\d+% *\): regression beyond the 5% tolerance/)
    const json = JSON.parse(readFileSync(path.join(out, 'comparison.json'), 'utf8'))
    expect(json.passed).toBe(false)
    expect(json.changes.find((c: { metric: string }) => c.metric === 'p95').regression).toBe(true)
    expect(readFileSync(path.join(out, 'comparison.md'), 'utf8')).toMatch(/❌ regression/)
  })

  it('says "cannot tell (1 run each, no interval)" for single runs, never a zero-width interval', async () => {
    const r = await cli(['compare', file('one-old.json'), file('one-slow.json')])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/cannot tell\s+cache=lru .* 1 vs 1 runs\s+p95 latency \+\d+\.?\d*%: cannot tell \(1 run each, no interval\)/)
    expect(r.out).toMatch(/\ncannot tell: 1 run each, no interval; repeat the runs/)
    expect(r.out).not.toMatch(/95% CI ([+−][\d.]+%) to \1\b/)
  })

  it('judges one new run against a folder of earlier results', async () => {
    const slow = await cli(['compare', file('history'), file('one-slow.json')])
    expect(slow.code).toBe(99)
    expect(slow.out).toMatch(/\(baseline \(history: 6 runs in 6 results\)\)/)
    expect(slow.out).toMatch(/REGRESSION .* 6 vs 1 runs\s+p95 latency \+\d+% \(95% CI/)
  })

  it('passes the same slowdown with a tolerance wider than it', async () => {
    expect((await cli(['compare', file('old.json'), file('slow.json'), '--tolerance', '0.6'])).code).toBe(0)
  })

  it.each([
    ['missing.json', /missing.json: cannot read it \(no such file\)/],
    ['notjson.json', /notjson.json: not valid JSON/],
    ['v9.json', /v9.json: schemaVersion 9 is not 1/],
    ['broken.json', /broken.json: runs\[0\]\.metrics\.http_reqs\.count: .*number/],
  ])('exits 2 naming the file and the problem for %s', async (name, message) => {
    const r = await cli(['compare', file('old.json'), file(name)])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(message)
  })

  it('exits 2 on a bad --tolerance', async () => {
    const r = await cli(['compare', file('old.json'), file('same.json'), '--tolerance', 'five'])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/--tolerance "five": give a share between 0 and 1/)
  })

  it('CliExit carries the code the root program exits with', () => {
    expect(new CliExit(99, 'x').exitCode).toBe(99)
  })
})

describe('loadlab capacity', () => {
  it('fits a CSV and prints the fit as JSON', async () => {
    const r = await cli(['capacity', 'fit', file('scale.csv')])
    expect(r.code).toBe(0)
    const fit = JSON.parse(r.out)
    expect(fit.sigma).toBeCloseTo(0.05, 2)
    expect(fit.kappa).toBeCloseTo(0.004, 3)
    expect(fit.nStar).toBeCloseTo(Math.sqrt(0.95 / 0.004), 0)
    expect(fit.points).toHaveLength(7)
  })

  it('fits a results.json through its replicas key', async () => {
    const r = await cli(['capacity', 'fit', file('scale.json')])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out).points.map((p: { n: number }) => p.n)).toEqual([1, 2, 4, 8])
  })

  it('names the bad CSV line, and requires the header', async () => {
    const bad = await cli(['capacity', 'fit', file('bad.csv')])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/bad.csv: line 3: "2,abc": n must be a whole number ≥ 1 and throughput a number ≥ 0/)
    const noHeader = await cli(['capacity', 'fit', file('noheader.csv')])
    expect(noHeader.code).toBe(2)
    expect(noHeader.err).toMatch(/line 1: header "1,800" must name the columns n and throughput/)
    expect((await cli(['capacity', 'fit', file('old.json')])).err).toMatch(/no run has a "replicas" matrix key/)
  })

  it('plans from a saved fit, a CSV or a results.json', async () => {
    const fitted = await cli(['capacity', 'fit', file('scale.csv')])
    writeFileSync(file('fit.json'), fitted.out)
    for (const source of ['fit.json', 'scale.csv']) {
      const r = await cli(['capacity', 'plan', '--fit', file(source), '--target-rps', '2000', '--headroom', '0.3'])
      expect(r.code).toBe(0)
      const plan = JSON.parse(r.out)
      // By the true curve: 4 replicas give 2,564 req/s (×0.7 = 1,795), 5 give 3,030 (×0.7 = 2,121).
      expect(plan).toMatchObject({ targetRps: 2000, headroom: 0.3, replicas: 5 })
      expect(r.err).toMatch(/^5 replicas: 5 replicas give [\d,]+ req\/s by the fit; with 30% headroom/)
    }
    expect(JSON.parse((await cli(['capacity', 'plan', '--fit', file('scale.json'), '--target-rps', '1000'])).out).replicas).toBeGreaterThan(1)
  })

  it('says when the peak is below the target', async () => {
    const r = await cli(['capacity', 'plan', '--fit', file('scale.csv'), '--target-rps', '100000'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out).replicas).toBeNull()
    expect(r.err).toMatch(/no replica count reaches the target: the peak X\(N\*\) = [\d,]+ req\/s at N\* ≈ [\d.]+ is below/)
  })

  it('rejects bad flags with exit 2', async () => {
    expect((await cli(['capacity', 'plan', '--fit', file('scale.csv'), '--target-rps', '-3'])).err).toMatch(/--target-rps "-3": give the load to plan for/)
    expect((await cli(['capacity', 'plan', '--fit', file('scale.csv'), '--target-rps', '10', '--headroom', '1'])).code).toBe(2)
    expect((await cli(['capacity', 'plan', '--target-rps', '10'])).code).toBe(2)
  })
})
