import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunResult } from '../src/results/results-schema.js'
import { runSuite } from '../src/runner/run-suite.js'
import { validateScenario } from '../src/scenario/validate-scenario.js'
import { isAlive, pidsIn } from './support/run-fixtures.js'

// The sync strategies end to end with real processes: a real RabbitMQ (Debian's rabbitmq-server)
// and a real Apache Kafka (KRaft, the jars .ci/install-deps fetches), shards publishing their
// outbox, the downstream member, faults on time. What a user relies on: queue-push loses nothing
// acknowledged when either broker dies mid-run (the backlog grows, then drains after the restart); sync-call turns a dead downstream into failed writes the run reports,
// never into acknowledged writes downstream lacks.

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) {
    for (const pid of pidsIn(path.join(d, 'pids.txt'))) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    rmSync(d, { recursive: true, force: true })
  }
})

async function runOne(scenario: Record<string, unknown>): Promise<{ run: RunResult; outDir: string }> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'loadlab-sync-'))
  dirs.push(outDir)
  const { suite } = await runSuite(validateScenario(scenario, null), { outDir })
  expect(pidsIn(path.join(outDir, 'pids.txt')).filter(isAlive), 'every process the run started is stopped').toEqual([])
  return { run: suite.runs[0]!, outDir }
}

const writeHeavy = {
  mix: { update_customer: 60, create_customer: 20, get_customer: 20 },
  keys: { kind: 'uniform' },
  datasetSize: 200,
  seed: 7,
}

/** queue-push with `broker` killed at 2 s and restarted at 4 s: what either broker must guarantee. */
async function expectBrokerOutageLosesNothing(broker: 'rabbitmq' | 'kafka'): Promise<void> {
  const { run } = await runOne({
    name: `queue-push-${broker}-kill`,
    kind: 'failover',
    topology: { replicas: 1, shards: 2, sync: { strategy: 'queue-push', broker, drainTimeoutS: 120 } },
    workload: writeHeavy,
    load: { model: 'open', rate: 30, durationS: 10 },
    faults: [
      { atS: 2, action: 'kill', member: broker },
      { atS: 4, action: 'restart', member: broker },
    ],
  })
  expect(run.status, run.error).toBe('ok')
  expect(run.sync?.broker).toBe(broker)
  expect(run.faults.map((f) => [f.action, f.ok])).toEqual([
    ['kill', true],
    ['restart', true],
  ])
  // The CRM never waited for the broker: no write failed because it was gone.
  expect(run.metrics.status_counts['503'] ?? 0).toBe(0)
  // While it was down the changes waited in the outbox: the backlog grew past what normal delivery leaves.
  expect(Math.max(...run.sync!.backlog)).toBeGreaterThan(5)
  const acknowledged = (run.metrics.status_counts['200'] ?? 0) + (run.metrics.status_counts['201'] ?? 0)
  expect(acknowledged).toBeGreaterThan(0)
  expect(run.metrics.sync_missing?.checked).toBeGreaterThan(0)
  expect(run.metrics.sync_missing?.count, run.sync?.note).toBe(0)
  expect(run.sync?.drainS).not.toBeNull()
  expect(run.metrics.sync_lag?.count).toBeGreaterThan(0)
  expect(run.metrics.sync_duplicates?.count).toBeGreaterThanOrEqual(0)
}

describe('sync strategies with real processes', () => {
  it('queue-push: RabbitMQ killed mid-run and restarted, writes keep succeeding and nothing acknowledged is missing after the drain', async () => {
    await expectBrokerOutageLosesNothing('rabbitmq')
  }, 300_000)

  it('queue-push: Kafka killed mid-run and restarted, writes keep succeeding and nothing acknowledged is missing after the drain', async () => {
    await expectBrokerOutageLosesNothing('kafka')
  }, 300_000)

  it('sync-call: with downstream killed, writes fail with 503 and are reported as errors; no acknowledged write is missing downstream', async () => {
    const { run } = await runOne({
      name: 'sync-call-downstream-kill',
      kind: 'failover',
      topology: { replicas: 1, shards: 1, sync: { strategy: 'sync-call' } },
      workload: writeHeavy,
      load: { model: 'open', rate: 30, durationS: 8 },
      faults: [
        { atS: 2, action: 'kill', member: 'downstream' },
        { atS: 5, action: 'restart', member: 'downstream' },
      ],
    })
    expect(run.status, run.error).toBe('ok')
    expect(run.faults.map((f) => [f.action, f.ok])).toEqual([
      ['kill', true],
      ['restart', true],
    ])
    expect(run.metrics.status_counts['503'] ?? 0).toBeGreaterThan(0)
    expect(run.metrics.http_req_failed.fails).toBeGreaterThanOrEqual(run.metrics.status_counts['503'] ?? 0)
    expect(run.perOperation.update_customer?.http_req_failed.fails ?? 0).toBeGreaterThan(0)
    expect(run.metrics.sync_missing?.checked).toBeGreaterThan(0)
    expect(run.metrics.sync_missing?.count, run.sync?.note).toBe(0)
    // Downstream held each acknowledged version before the client had its answer.
    expect(run.metrics.sync_lag?.max).toBe(0)
  }, 300_000)
})
