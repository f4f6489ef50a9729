import { describe, expect, it } from 'vitest'
import { makeHostileSuite, makeMinimalSuite, makeRichSuite } from '../../../test/support/report-fixture.js'
import { renderHtmlReport } from './render-html-report.js'

/** The page text a reader sees: markup, scripts and styles removed. */
function visibleText(page: string): string {
  return page
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
}

function sectionIds(page: string): string[] {
  return [...page.matchAll(/<section class="report-section" id="([a-z-]+)"/g)].map((m) => m[1]!)
}

describe('renderHtmlReport', () => {
  it('loads nothing from the network: no external src, href or url()', () => {
    const page = renderHtmlReport(makeRichSuite())
    expect(page).not.toMatch(/\s(src|href)\s*=\s*["']?(https?:)?\/\//i)
    expect(page).not.toMatch(/url\(\s*["']?https?:/i)
    // chart.js itself is inlined, not referenced
    expect(page).toContain('Chart')
    expect(page).toMatch(/default-src (&#39;|')none/)
  })

  it('shows the verdict sentence and the pass/fail state first', () => {
    const suite = makeRichSuite()
    const page = renderHtmlReport(suite)
    const verdictAt = page.indexOf('id="verdict"')
    expect(verdictAt).toBeGreaterThan(0)
    expect(verdictAt).toBeLessThan(page.indexOf('id="run-matrix"'))
    expect(visibleText(page)).toContain('FAIL')
  })

  it('renders a section per kind of data in the rich suite', () => {
    const ids = sectionIds(renderHtmlReport(makeRichSuite()))
    for (const id of [
      'run-matrix',
      'comparison',
      'capacity',
      'scalability',
      'knee',
      'over-time',
      'latency-distribution',
      'errors',
      'cache',
      'shards',
      'gates',
      'validity',
    ]) {
      expect(ids, id).toContain(id)
    }
  })

  it('leaves out sections without data, and never prints NaN, undefined or null', () => {
    const page = renderHtmlReport(makeMinimalSuite())
    const ids = sectionIds(page)
    for (const id of ['comparison', 'capacity', 'scalability', 'knee', 'cache', 'gates']) expect(ids, id).not.toContain(id)
    for (const suite of [makeMinimalSuite(), makeRichSuite()]) {
      const text = visibleText(renderHtmlReport(suite))
      expect(text).not.toMatch(/\bNaN\b|\bundefined\b|\bnull\b|\[object Object\]/)
    }
  })

  it('escapes every string that comes from a scenario, a run or an error', () => {
    const page = renderHtmlReport(makeHostileSuite())
    const withoutTrustedScripts = page.replace(/<script( type="application\/json" id="loadlab-data")?>[\s\S]*?<\/script>/g, '')
    // Hostile strings only ever appear escaped: no raw tag from them survives.
    expect(withoutTrustedScripts).not.toMatch(/<(script|img|svg|iframe|b|u)[\s>]/i)
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    // The inline JSON data block cannot be closed early by a string in the data.
    const data = page.match(/<script type="application\/json" id="loadlab-data">([\s\S]*?)<\/script>/)
    expect(data).not.toBeNull()
    expect(() => JSON.parse(data![1]!)).not.toThrow()
    expect(data![1]).not.toMatch(/<\/script|<!--/i)
  })

  it('names the real pairwise differences when no single configuration wins', () => {
    const suite = makeRichSuite()
    const real = suite.analysis!.comparisons.filter((c) => c.significant && c.better)
    expect(real.length).toBeGreaterThan(0)
    suite.analysis!.winners = {}
    const text = visibleText(renderHtmlReport(suite))
    expect(text).not.toContain('No configuration is significantly better')
    expect(text).toContain(real[0]!.text.replace(/&/g, '&amp;'))
  })

  it('shows each run’s load agents, schedule lag and connections opened while measuring, and flags a lost agent', () => {
    const suite = makeMinimalSuite()
    suite.runs[0]!.generator = {
      ...suite.runs[0]!.generator,
      scheduleLag: { p50Ms: 0.02, p99Ms: 0.31, maxMs: 2 },
      connections: { warm: 40, openedDuringRun: 3 },
      agents: [
        { index: 0, name: 'pod-0', pid: 1, host: 'a', status: 'done', sent: 100, dropped: 0, cpu: 0.2, eventLoopLagP99Ms: 1 },
        {
          index: 1,
          name: 'pod-1',
          pid: 2,
          host: 'b',
          status: 'lost',
          sent: 40,
          dropped: 0,
          cpu: 0,
          eventLoopLagP99Ms: 0,
          problem: 'lost 2.0 s into the measured phase',
        },
      ],
    }
    const page = renderHtmlReport(suite)
    const text = visibleText(page)
    expect(text).toContain('1 of 2 done')
    expect(text).toContain('0.31 ms')
    expect(page).toMatch(/class="[^"]*warn[^"]*"[^>]*>\s*1 of 2 done/)
  })
})

describe('renderHtmlReport: sync section', () => {
  it('charts sync lag, backlog and write p95 per strategy, and names what was missing', () => {
    const suite = makeMinimalSuite()
    const run = suite.runs[0]!
    run.metrics.sync_lag = { count: 3, min: 0, mean: 40, stdev: 5, p50: 35, p90: 70, p95: 80, p99: 90, p999: 90, max: 90 }
    run.metrics.sync_missing = { count: 2, checked: 50 }
    run.metrics.sync_duplicates = { count: 7 }
    run.sync = {
      strategy: 'queue-push',
      broker: 'rabbitmq',
      lag: [{ elapsedS: 0, acks: 3, p50: 35, p95: 80, max: 90 }],
      backlog: [4, 120, 0],
      drainS: null,
      recoveryS: 2.5,
      missingSample: ['cus_1', 'cus_2'],
      note: '2 acknowledged version(s) were not downstream 60 s after the load ended',
    }
    const page = renderHtmlReport(suite)
    expect(sectionIds(page)).toContain('sync')
    const text = visibleText(page)
    expect(text).toContain('queue-push (rabbitmq)')
    expect(text).toContain('2 of 50')
    expect(text).toContain('not drained')
    expect(text).toContain('2.5 s')
    expect(text).toContain('were not downstream 60 s after the load ended')
    for (const chart of ['sync-lag', 'sync-backlog', 'sync-write-p95']) expect(page).toContain(chart)
  })

  it('has no sync section when no run had a downstream', () => {
    expect(sectionIds(renderHtmlReport(makeMinimalSuite()))).not.toContain('sync')
  })
})
