/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SuiteResult } from '../src/results/results-schema.js'
import { launchChromium } from './support/browser.js'
import { isAlive, killLeftoverRuns, pidsIn, REPO_ROOT, runLoadlab } from './support/run-fixtures.js'

// The report of a REAL short run, opened in headless Chromium as a reader would open it: from
// disk, offline. The scenario's name is a script tag, so the same page shows that nothing from a
// scenario can run in the report.
const HOSTILE_NAME = '<script>alert(1)</script>'

describe('HTML report in a real browser', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-report-browser-'))
  const out = path.join(dir, 'run')
  let browser: Browser | undefined

  beforeAll(async () => {
    const file = path.join(dir, 'hostile.ts')
    writeFileSync(
      file,
      `import { defineScenario } from ${JSON.stringify(path.join(REPO_ROOT, 'harness/src/scenario/define-scenario.js'))}
export default defineScenario({
  name: ${JSON.stringify(HOSTILE_NAME)}, kind: 'comparison', description: 'report rendering in a browser',
  topology: { replicas: 2, shards: 2, cache: { size: 200 } },
  matrix: { 'cache.strategy': ['none', 'lru'] },
  workload: { mix: { get_customer: 8, update_customer: 1 }, keys: { kind: 'zipf', s: 1 }, datasetSize: 500 },
  load: { model: 'closed', connections: 4, durationS: 3 },
  faults: [{ atS: 0.2, action: 'slow', member: 'replica-2', factor: 2 }],
})
`,
    )
    const run = runLoadlab(['run', file, '--out', out], { timeoutMs: 200_000 })
    const code = await run.exited
    if (code !== 0) throw new Error(`loadlab run exited ${code}\n${run.stdout()}\n${run.stderr()}`)
    browser = await launchChromium()
  }, 240_000)

  afterAll(async () => {
    killLeftoverRuns()
    await browser?.close()
    for (const pid of pidsIn(path.join(out, 'pids.txt'))) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('opens offline with no errors, draws every chart, shows the hostile name as text, and prints to PDF', async () => {
    const suite = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as SuiteResult
    expect(suite.runs.length).toBe(2)
    // The scenario's fault fired in each run, at or after its atS (early in the run, so a loaded
    // machine's late timers still fire it inside the measured phase), and was applied.
    for (const run of suite.runs) {
      expect(run.faults, run.id).toEqual([expect.objectContaining({ action: 'slow', member: 'replica-2', ok: true, detail: 'service time x2' })])
      expect(run.faults[0]!.elapsedS, run.id).toBeGreaterThanOrEqual(0.2)
      expect(run.faults[0]!.elapsedS, run.id).toBeLessThanOrEqual(run.durationS)
    }
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } })
    const problems: string[] = []
    const requests: string[] = []
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`))
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`)
      void d.dismiss()
    })
    page.on('request', (r) => !r.url().startsWith('file:') && !r.url().startsWith('data:') && requests.push(r.url()))
    await page.goto(pathToFileURL(path.join(out, 'index.html')).href, { waitUntil: 'load' })

    const canvases = await page.evaluate(() =>
      [...document.querySelectorAll('canvas')].map((c) => {
        const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
        let drawn = 0
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) drawn++
        return { id: c.id || c.closest('figure')?.querySelector('figcaption')?.textContent || '?', drawn }
      }),
    )
    expect(canvases.length).toBeGreaterThanOrEqual(4)
    expect(
      canvases.filter((c) => c.drawn === 0),
      'blank canvases',
    ).toEqual([])
    expect(await page.locator('h1').innerText()).toBe(HOSTILE_NAME)
    // Each run's over-time chart lists the fault it drew as a marker.
    expect(await page.getByText('slow replica-2', { exact: true }).count()).toBe(2)
    expect(await page.locator('#verdict').innerText()).toContain(suite.verdict.passed ? 'PASS' : 'FAIL')

    const screenshot = path.join(out, 'report.png')
    await page.screenshot({ path: screenshot, fullPage: true })
    expect(statSync(screenshot).size).toBeGreaterThan(20_000)
    await page.emulateMedia({ media: 'print' })
    const pdf = await page.pdf({ format: 'A4', printBackground: true })
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    expect(pdf.length).toBeGreaterThan(50_000)

    expect(problems).toEqual([])
    expect(requests, 'the report must load nothing from the network').toEqual([])
    expect(existsSync(path.join(out, 'index.html'))).toBe(true)
    process.stdout.write(`report screenshot: ${screenshot}\n`)
  })
})
