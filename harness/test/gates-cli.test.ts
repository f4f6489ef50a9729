import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asSchemaVersion1, makeRunResult, makeSuiteResult } from './fixtures/suite-fixtures.js'
import { CISCO, CISCO_FIT } from './fixtures/usl-published-data.js'
import { killLeftoverRuns, runLoadlab } from './support/run-fixtures.js'

// `loadlab compare`, `loadlab capacity` and `loadlab report` as users run them: the built binary,
// its real exit codes, stdout and stderr (npm test builds before vitest).

let dir: string
const file = (name: string) => path.join(dir, name)

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'loadlab-gates-cli-'))
  const write = (name: string, value: unknown) => writeFileSync(file(name), typeof value === 'string' ? value : JSON.stringify(value))
  const two = (medianMs: number, seed: number) =>
    makeSuiteResult({ runs: [1, 2].map((repetition) => ({ cell: { cache: 'lru' }, medianMs, seed: seed + repetition, repetition })) })
  write('old.json', two(10, 10))
  // The same baseline as a LoadLab of results schema version 1 wrote it (kept baselines).
  write('old-v1.json', asSchemaVersion1(two(10, 10)))
  write('same.json', two(10, 20))
  write('slow.json', two(13, 30))
  write('one-old.json', makeSuiteResult({ runs: [{ cell: { cache: 'lru' }, medianMs: 10, seed: 1 }] }))
  write('one-slow.json', makeSuiteResult({ runs: [{ cell: { cache: 'lru' }, medianMs: 13, seed: 3 }] }))
  for (let build = 1; build <= 6; build++) {
    mkdirSync(file(`history/build-${build}`), { recursive: true })
    const s = makeSuiteResult({ runs: [{ cell: { cache: 'lru' }, medianMs: 10, seed: 100 + build }] })
    s.runs[0]!.startedAt = new Date(Date.UTC(2026, 0, build)).toISOString()
    write(`history/build-${build}/results.json`, s)
  }
  write('v9.json', { ...makeSuiteResult(), schemaVersion: 9 })
  const broken = makeSuiteResult() as unknown as { runs: Array<{ metrics: { http_reqs: unknown } }> }
  broken.runs[0]!.metrics.http_reqs = { count: 'many' }
  write('broken.json', broken)
  write('notjson.json', '{"runs": [')
  // The published Cisco benchmark (usl-published-data.ts): as a CSV, and as a scale-out
  // results.json with one run per replica count.
  write('cisco.csv', ['n,throughput', ...CISCO.map(([n, x]) => `${n},${x}`)].join('\n'))
  write(
    'cisco.json',
    makeSuiteResult({ kind: 'scale-out', runs: CISCO.map(([n, rps], i) => makeRunResult({ cell: { replicas: n }, rps, seed: i + 1, noise: 0 })) }),
  )
  write('bad.csv', 'n,throughput\n1,800\n2,abc\n')
  write('noheader.csv', '1,800\n2,1500\n')
})

afterAll(() => {
  killLeftoverRuns()
  rmSync(dir, { recursive: true, force: true })
})

/** Runs `loadlab <args>` to its end: exit code, stdout, stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const run = runLoadlab(args)
  const code = await run.exited
  return { code, out: run.stdout(), err: run.stderr() }
}

function expectWithin(actual: number, expected: number, share: number, what: string): void {
  expect(Math.abs(actual / expected - 1), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(share)
}

describe('loadlab compare', () => {
  it('prints each metric with its change and interval, writes nothing, and exits 0 on noise', async () => {
    const r = await cli(['compare', file('old.json'), file('same.json')])
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(/cache=lru\s+[\d.]+ ms ->\s+[\d.]+ ms\s+2 vs 2 runs\s+p95 latency [+−][\d.]+% \(95% CI [+−][\d.]+% to [+−][\d.]+%\): /)
    expect(r.out).toMatch(/\n(no regression beyond the tolerance|no regression proven, but \d of 4 checks cannot tell)\n$/)
    expect(r.out).not.toMatch(/no significant/)
    expect(existsSync(file('comparison.json'))).toBe(false)
  })

  it('exits 99 on a 30% slowdown and writes comparison.json/md with --out; a wider tolerance passes it', async () => {
    const out = file('cmp')
    const [slow, tolerant] = await Promise.all([
      cli(['compare', file('old.json'), file('slow.json'), '--tolerance', '0.05', '--out', out]),
      cli(['compare', file('old.json'), file('slow.json'), '--tolerance', '0.6']),
    ])
    expect(slow.code, slow.err).toBe(99)
    expect(slow.out).toMatch(/REGRESSION\s+cache=lru .* p95 latency \+\d\d% \(95% CI \+\d+\.?\d*% to \+\d+% *\): regression beyond the 5% tolerance/)
    const json = JSON.parse(readFileSync(path.join(out, 'comparison.json'), 'utf8'))
    expect(json.passed).toBe(false)
    expect(json.changes.find((c: { metric: string }) => c.metric === 'p95').regression).toBe(true)
    expect(readFileSync(path.join(out, 'comparison.md'), 'utf8')).toMatch(/❌ regression/)
    expect(tolerant.code, tolerant.err).toBe(0)
  })

  it('compares against a baseline of results schema version 1 exactly as against the same baseline in the current version', async () => {
    const [fromOld, fromCurrent] = await Promise.all([
      cli(['compare', file('old-v1.json'), file('slow.json'), '--tolerance', '0.05']),
      cli(['compare', file('old.json'), file('slow.json'), '--tolerance', '0.05']),
    ])
    expect(fromOld.code, fromOld.err).toBe(99)
    expect(fromOld.out).toMatch(/REGRESSION\s+cache=lru .* p95 latency \+\d\d%/)
    expect(fromOld.out.replaceAll('old-v1.json', 'old.json')).toBe(fromCurrent.out)
    expect(fromOld.err.replaceAll('old-v1.json', 'old.json')).toBe(fromCurrent.err)
  })

  it('says "cannot tell (1 run each, no interval)" for single runs, never a zero-width interval', async () => {
    const r = await cli(['compare', file('one-old.json'), file('one-slow.json')])
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(/cannot tell\s+cache=lru .* 1 vs 1 runs\s+p95 latency \+\d+\.?\d*%: cannot tell \(1 run each, no interval\)/)
    expect(r.out).toMatch(/\ncannot tell: 1 run each, no interval; repeat the runs/)
    expect(r.out).not.toMatch(/95% CI ([+−][\d.]+%) to \1\b/)
  })

  it('judges one new run against a folder of earlier results', async () => {
    const slow = await cli(['compare', file('history'), file('one-slow.json')])
    expect(slow.code, slow.err).toBe(99)
    expect(slow.out).toMatch(/\(baseline \(history: 6 runs in 6 results\)\)/)
    expect(slow.out).toMatch(/REGRESSION .* 6 vs 1 runs\s+p95 latency \+\d+% \(95% CI/)
  })

  it('exits 2 naming the file and the problem for a missing, broken or foreign results file, and for a bad --tolerance', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[file('missing.json')], /missing.json: cannot read it \(no such file\)/],
      [[file('notjson.json')], /notjson.json: not valid JSON/],
      [[file('v9.json')], /v9.json: schemaVersion 9 is not 2 \(this LoadLab reads versions 1 and 2\)/],
      [[file('broken.json')], /broken.json: runs\[0\]\.metrics\.http_reqs\.count: .*number/],
      [[file('same.json'), '--tolerance', 'five'], /--tolerance "five": give a share between 0 and 1/],
    ]
    const results = await Promise.all(cases.map(([args]) => cli(['compare', file('old.json'), ...args])))
    results.forEach((r, i) => {
      expect(r.code, r.err).toBe(2)
      expect(r.err).toMatch(cases[i]![1])
    })
  })
})

describe('loadlab capacity', () => {
  it("fits a CSV of the published Cisco benchmark to the book's model and prints it as JSON", async () => {
    const r = await cli(['capacity', 'fit', file('cisco.csv')])
    expect(r.code, r.err).toBe(0)
    const fit = JSON.parse(r.out)
    expectWithin(fit.sigma, CISCO_FIT.sigma, 2e-4, 'σ')
    expectWithin(fit.kappa, CISCO_FIT.kappa, 2e-4, 'κ')
    expectWithin(fit.lambda, CISCO_FIT.lambda, 2e-4, 'λ')
    expectWithin(fit.nStar, 35.574, 1e-3, 'N*')
    expect(fit.points).toHaveLength(32)
    writeFileSync(file('fit.json'), r.out)
  })

  it('fits a results.json through its replicas key', async () => {
    const r = await cli(['capacity', 'fit', file('cisco.json')])
    expect(r.code, r.err).toBe(0)
    const fit = JSON.parse(r.out)
    expect(fit.points.map((p: { n: number }) => p.n)).toEqual(CISCO.map(([n]) => n))
    expectWithin(fit.sigma, CISCO_FIT.sigma, 0.01, 'σ')
  })

  it('names the bad CSV line, requires the header, and needs a replicas key in a results.json', async () => {
    const [bad, noHeader, noReplicas] = await Promise.all([
      cli(['capacity', 'fit', file('bad.csv')]),
      cli(['capacity', 'fit', file('noheader.csv')]),
      cli(['capacity', 'fit', file('old.json')]),
    ])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/bad.csv: line 3: "2,abc": n must be a whole number ≥ 1 and throughput a number ≥ 0/)
    expect(noHeader.code).toBe(2)
    expect(noHeader.err).toMatch(/line 1: header "1,800" must name the columns n and throughput/)
    expect(noReplicas.code).toBe(2)
    expect(noReplicas.err).toMatch(/no run has a "replicas" matrix key/)
  })

  it('plans the hand-computed replica count from a saved fit, a CSV or a results.json', async () => {
    // 7,000 req/s with 30% headroom need 10,000 req/s: X(15) = 9,726 < 10,000 ≤ X(16) = 10,049
    // (capacity-plan.test.ts works the numbers out).
    await expect.poll(() => existsSync(file('fit.json'))).toBe(true)
    const plans = await Promise.all(
      ['fit.json', 'cisco.csv', 'cisco.json'].map((source) => cli(['capacity', 'plan', '--fit', file(source), '--target-rps', '7000', '--headroom', '0.3'])),
    )
    for (const r of plans) {
      expect(r.code, r.err).toBe(0)
      expect(JSON.parse(r.out)).toMatchObject({ targetRps: 7000, headroom: 0.3, replicas: 16 })
      expect(r.err).toMatch(/^16 replicas: 16 replicas give 10,0\d\d req\/s by the fit; with 30% headroom they serve 7,0\d\d req\/s ≥ 7,000 req\/s/)
    }
  })

  it('says when the peak is below the target, and exits 0', async () => {
    // 8,700 req/s with 30% headroom need 12,429 req/s; the peak X(N*) is 12,343 at N* ≈ 35.6.
    const r = await cli(['capacity', 'plan', '--fit', file('cisco.csv'), '--target-rps', '8700', '--headroom', '0.3'])
    expect(r.code, r.err).toBe(0)
    expect(JSON.parse(r.out).replicas).toBeNull()
    expect(r.err).toMatch(/no replica count reaches the target: the peak X\(N\*\) = 12,343 req\/s at N\* ≈ 35\.6 is below/)
  })

  it('rejects bad flags with exit 2', async () => {
    const [negative, headroom, noFit] = await Promise.all([
      cli(['capacity', 'plan', '--fit', file('cisco.csv'), '--target-rps', '-3']),
      cli(['capacity', 'plan', '--fit', file('cisco.csv'), '--target-rps', '10', '--headroom', '1']),
      cli(['capacity', 'plan', '--target-rps', '10']),
    ])
    expect(negative.code).toBe(2)
    expect(negative.err).toMatch(/--target-rps "-3": give the load to plan for/)
    expect(headroom.code).toBe(2)
    expect(headroom.err).toMatch(/--headroom/)
    expect(noFit.code).toBe(2)
    expect(noFit.err).toMatch(/--fit/)
  })
})
