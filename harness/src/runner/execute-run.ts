import { mkdirSync } from 'node:fs'
import type { LoadEngine } from '../engines/load-engine.js'
import { faultMissingMember } from '../scenario/check-faults.js'
import { faultTarget, type Environment, type StartedEnvironment } from '../environment/environment.js'
import { RunRecorder } from '../metrics/run-recorder.js'
import type { EngineSummary, MetricsSink } from '../metrics/sample.js'
import { SutScraper } from '../metrics/sut-scraper.js'
import type { EnvironmentInfo, FaultEvent, RunMetrics, RunResult, SutMetrics, TopologyInfo } from '../results/results-schema.js'
import type { PlannedRun } from '../scenario/plan-runs.js'
import type { Scenario } from '../scenario/scenario.js'
import { seedDataset, type Dataset } from '../workload/dataset.js'
import { verifyWrites } from '../workload/verify-writes.js'
import { VersionTracker } from '../workload/version-tracker.js'
import { DownstreamReader } from '../sync/downstream-reader.js'
import { downstreamDuplicates, measureSync, type SyncMeasurement } from '../sync/measure-sync.js'
import { errorsPerSecond, recoveryAfterFaults } from '../sync/sync-metrics.js'
import { redactHttpWorkload } from '../workload/http-workload.js'
import { WRITE_OPERATIONS, type LoadModel, type Workload } from '../workload/workload.js'
import { checkAbortOnFail, liveReaderFromSnapshot } from '../gates/check-abort-on-fail.js'
import type { ParsedThreshold } from '../gates/threshold-expression.js'
import { interruptionOf } from './interruption.js'
import { notify, type Reporters } from './reporter.js'
import { validityNotes } from './validity-notes.js'
import { longestWarmupS, warmUp, type WarmupOutcome } from './warm-up-phase.js'

export interface ExecuteRunContext {
  scenario: Scenario
  engine: LoadEngine
  environment: Environment
  /** Folder for this run's member logs. */
  logDir: string
  /** Aborted on Ctrl-C: the run stops, keeps what it measured and reports status 'aborted'. */
  signal: AbortSignal
  /** Hears the run's phases, progress and faults; emitted without waiting (the load never waits for a reporter). */
  reporters: Reporters
  /** The scenario's thresholds, parsed; those with abortOnFail stop the run as soon as they fail. */
  thresholds?: readonly ParsedThreshold[]
}

const DISCARD: MetricsSink = { add: () => undefined, merge: () => undefined }

/**
 * One planned run, start to finish: start the environment, seed, warm up (samples discarded),
 * measure (recorder + SUT scraper + faults on time + progress), read back writes, and stop the
 * environment whatever happened. Never throws: a failure becomes status 'failed' with its error
 * and whatever was measured until then. Called by runSuite for each run in order.
 */
export async function executeRun(run: PlannedRun, ctx: ExecuteRunContext): Promise<RunResult> {
  const { scenario, engine, reporters } = ctx
  // The run's own signal: the suite's (Ctrl-C) or an abortOnFail threshold stops it.
  const runController = new AbortController()
  const signal = AbortSignal.any([ctx.signal, runController.signal])
  let thresholdAbort: string | null = null
  const abortOnFail = (ctx.thresholds ?? []).filter((t) => t.abortOnFail)
  const startedAt = new Date()
  mkdirSync(ctx.logDir, { recursive: true })
  let recorder = new RunRecorder(Date.now())
  let measuredStartMs: number | null = null
  let summary: EngineSummary | null = null
  let sut: SutMetrics = { backends: {}, shards: {} }
  let perSecondCacheHitRate: number[] | undefined
  let lostWrites: RunMetrics['lost_writes']
  let syncMeasured: SyncMeasurement | null = null
  const faults: FaultEvent[] = []
  let error: unknown = null
  let env: StartedEnvironment | null = null
  let envInfo: EnvironmentInfo = {}
  let scraper: SutScraper | null = null
  const timers: NodeJS.Timeout[] = []
  const pendingFaults: Array<Promise<void>> = []
  let warmup: WarmupOutcome | null = null

  try {
    notify(reporters, 'onPhase', run, 'starting')
    env = await ctx.environment.start(run.topology, signal)
    const target = env.entrypoint()

    // The user's own service (http) is not seeded: its requests address what it already has.
    let dataset: Dataset = { customerIds: [] }
    // A local topology starts empty for every run; an external target keeps what earlier runs
    // wrote, where the seed's emails would be taken (409): give this run's emails its own tag.
    const runTag = run.topology === null ? `${startedAt.getTime().toString(36)}` : null
    if (!run.workload.http) {
      notify(reporters, 'onPhase', run, 'seeding')
      const admin = env.adminEndpoint()
      dataset = await seedDataset(admin.url, run.workload, signal, {
        adminToken: admin.token,
        ...(runTag ? { emailTag: `s${run.workload.seed}-${runTag}` } : {}),
      })
    }
    const emailTag = runTag ? `n${run.workload.seed}-${runTag}` : undefined
    const sync = run.topology?.sync
    const syncing = sync !== undefined && sync.strategy !== 'none'
    const downstreamUrl = env.members().find((m) => m.role === 'downstream')?.url ?? null
    const versions = new VersionTracker({ recordAcks: syncing })
    let duplicatesBefore = 0
    if (syncing && downstreamUrl !== null) {
      await waitForSeedsDownstream(downstreamUrl, dataset, sync.drainTimeoutS, signal)
      duplicatesBefore = await downstreamDuplicates(downstreamUrl)
    }

    if (run.warmupS > 0) {
      notify(reporters, 'onPhase', run, 'warm-up')
      warmup = await warmUp(engine, run, warmupWorkload(run.workload, longestWarmupS(run)), target, { signal, dataset, versions, emailTag })
    }
    signal.throwIfAborted()

    // Connections (and load agents) are opened before the clock starts: second 0 measures the server, not handshakes.
    await engine.prepare?.(run.workload, target, { sink: DISCARD, signal, dataset, versions, emailTag })
    signal.throwIfAborted()

    notify(reporters, 'onPhase', run, 'measuring')
    measuredStartMs = Date.now()
    recorder = new RunRecorder(measuredStartMs)
    const started = env
    scraper = new SutScraper(
      started
        .members()
        .filter((m) => m.metricsUrl !== null && (m.role === 'replica' || m.role === 'shard' || m.role === 'balancer'))
        .map((m) => ({ name: m.name, role: m.role as 'replica' | 'shard' | 'balancer', metricsUrl: m.metricsUrl! })),
      1000,
    )
    scraper.start()
    for (const f of run.faults) {
      const startMs = measuredStartMs
      // A matrix cell without the fault's member (no downstream under sync none) records it as not applied.
      const missing = faultMissingMember(run, f)
      if (missing !== null) {
        faults.push({
          elapsedS: f.atS,
          at: new Date(startMs + f.atS * 1000).toISOString(),
          action: f.action,
          member: faultTarget(f),
          ok: false,
          error: missing,
        })
        continue
      }
      timers.push(
        setTimeout(() => {
          pendingFaults.push(
            applyFault(started, f, startMs).then((event) => {
              faults.push(event)
              notify(reporters, 'onFault', run, event)
            }),
          )
        }, f.atS * 1000),
      )
    }
    const rec = recorder
    summary = await engine.run(run.workload, target, {
      sink: rec,
      signal,
      dataset,
      versions,
      emailTag,
      onTick: (t) => {
        if (t.offeredRate !== undefined) rec.noteOfferedRate(t.second, t.offeredRate)
        const live = rec.live()
        if (abortOnFail.length > 0 && thresholdAbort === null) {
          const decision = checkAbortOnFail(abortOnFail, t.elapsedS, liveReaderFromSnapshot(live))
          if (decision) {
            thresholdAbort = decision.message
            runController.abort(new Error(decision.message))
          }
        }
        notify(reporters, 'onProgress', {
          run,
          elapsedS: t.elapsedS,
          totalS: t.totalS,
          rps: live.rps,
          p95: live.p95,
          errors: live.errors,
          dropped: live.dropped,
          offeredRate: t.offeredRate,
        })
      },
    })
    timers.forEach(clearTimeout)
    await Promise.allSettled(pendingFaults)
    const scraped = await scraper.stop()
    scraper = null
    sut = scraped.sut
    perSecondCacheHitRate = scraped.perSecondCacheHitRate
    signal.throwIfAborted()

    if (syncing) {
      // Before reading writes back: the drain time counts from the end of the load.
      notify(reporters, 'onPhase', run, 'verifying')
      await Promise.allSettled(pendingFaults)
      syncMeasured = await measureSync({
        sync,
        downstreamUrl,
        versions,
        measuredStartMs,
        durationS: summary.durationS,
        faults,
        duplicatesBefore,
        signal,
      })
    }

    if (writes(run.workload)) {
      notify(reporters, 'onPhase', run, 'verifying')
      const verified = await verifyWrites(target, versions, signal)
      lostWrites = { count: verified.count, checked: verified.checked, unverified: verified.unverified }
    }
  } catch (e) {
    error = e
  } finally {
    timers.forEach(clearTimeout)
    await Promise.allSettled(pendingFaults)
    if (scraper) {
      const scraped = await scraper.stop().catch(() => null)
      if (scraped) {
        sut = scraped.sut
        perSecondCacheHitRate = scraped.perSecondCacheHitRate
      }
    }
    await engine.close?.().catch(() => undefined)
    notify(reporters, 'onPhase', run, 'stopping')
    if (env) sut = { ...sut, backends: byMemberName(sut.backends, env) }
    envInfo = env?.describe?.() ?? {}
    await env?.stop().catch(() => undefined)
  }

  for (const f of run.faults) {
    const target = faultTarget(f)
    if (measuredStartMs !== null && !faults.some((e) => e.action === f.action && e.member === target && Math.abs(e.elapsedS - f.atS) < 5)) {
      faults.push({
        elapsedS: f.atS,
        at: new Date(measuredStartMs + f.atS * 1000).toISOString(),
        action: f.action,
        member: target,
        ok: false,
        error: 'not applied: the run ended first',
      })
    }
  }
  faults.sort((a, b) => a.elapsedS - b.elapsedS)

  const durationS = summary?.durationS ?? (measuredStartMs === null ? 0 : (Date.now() - measuredStartMs) / 1000)
  const parts = recorder.finish(durationS, perSecondCacheHitRate)
  const metrics: RunMetrics = { ...parts.metrics }
  if (sut.cache && run.topology && run.topology.cache.strategy !== 'none') {
    const { hits, misses } = sut.cache
    metrics.cache_hit_rate = { rate: hits + misses > 0 ? hits / (hits + misses) : 0, hits, misses }
  } else if (sut.cache && run.topology === null && sut.cache.hits + sut.cache.misses > 0) {
    const { hits, misses } = sut.cache
    metrics.cache_hit_rate = { rate: hits / (hits + misses), hits, misses }
  }
  if (lostWrites) {
    metrics.lost_writes = lostWrites.unverified ? { ...lostWrites, unverifiedExplainedBy: faultsExplainingUnverified(faults) } : lostWrites
  }
  if (syncMeasured) {
    Object.assign(metrics, syncMeasured.metrics)
    // sync-call never has a backlog: what recovers after a downstream fault is the writes, which fail while it is down.
    if (syncMeasured.result.strategy === 'sync-call') syncMeasured.result.recoveryS = recoveryAfterFaults(errorsPerSecond(parts.timeSeries), faults)
  }

  const aborted = signal.aborted
  const status: RunResult['status'] = aborted ? 'aborted' : error ? 'failed' : 'ok'
  const why = thresholdAbort ?? (ctx.signal.aborted ? `stopped: ${interruptionOf(ctx.signal.reason).what}` : describe(error))
  const validity = validityNotes(metrics, summary, run.workload.load, durationS)
  if (syncMeasured?.result.note !== undefined) {
    validity.push({ level: (metrics.sync_missing?.count ?? 0) > 0 ? 'error' : 'warning', code: 'sync-missing', message: `sync: ${syncMeasured.result.note}` })
  }
  if (warmup && !warmup.settled && !aborted) {
    validity.push({
      level: 'warning',
      code: 'other',
      message: `the warm-up reached its limit (${run.warmupMaxS} s) while latency or throughput were still improving: the first seconds measured may be cold (raise warmup.maxS)`,
    })
  }
  if (status !== 'ok') {
    validity.unshift({
      level: 'error',
      code: 'other',
      message: thresholdAbort
        ? `stopped early: ${thresholdAbort}`
        : aborted
          ? `the run was stopped (${interruptionOf(ctx.signal.reason).what}) before it finished: its numbers cover only part of it`
          : `the run failed: ${describe(error)}`,
    })
  }
  return {
    id: run.id,
    cell: run.cell,
    cellLabel: run.cellLabel,
    repetition: run.repetition,
    topology: { ...topologyInfo(scenario, run, ctx.environment.name), ...envInfo },
    workload: run.workload.http ? { ...run.workload, http: redactHttpWorkload(run.workload.http) } : run.workload,
    load: run.workload.load,
    engine: engine.name,
    startedAt: startedAt.toISOString(),
    ...(warmup ? { warmupS: Math.round(warmup.seconds * 10) / 10 } : {}),
    durationS,
    status,
    ...(status === 'ok' ? {} : { error: why }),
    metrics,
    perOperation: parts.perOperation,
    timeSeries: parts.timeSeries,
    histogram: parts.histogram,
    percentiles: parts.percentiles,
    sut,
    faults,
    validity,
    generator: generatorInfo(summary),
    ...(syncMeasured ? { sync: syncMeasured.result } : {}),
  }
}

/**
 * Seeded customers reach downstream like any change (sync-call: through the bulk call; the
 * others: through the feed). The measured phase starts once they are there, so its lag and
 * backlog are the workload's, not the seeding's.
 */
async function waitForSeedsDownstream(url: string, dataset: Dataset, timeoutS: number, signal: AbortSignal): Promise<void> {
  const reader = new DownstreamReader(url)
  try {
    const held = await reader.waitUntilHolds(new Map(dataset.customerIds.map((id) => [id, 1])), timeoutS * 1000, signal)
    if (held.missing.length > 0) {
      throw new Error(
        `downstream did not receive ${held.missing.length} of ${dataset.customerIds.length} seeded customers within ${timeoutS} s` +
          `${held.error ? ` (${held.error})` : ''}: see downstream.log in the run folder, or raise topology.sync.drainTimeoutS`,
      )
    }
  } finally {
    await reader.close()
  }
}

/**
 * The faults that explain writes which could not be read back: a member still killed or paused
 * when the run ended (no later restart or resume brought it back) leaves its records
 * unreachable. Slowing a member does not.
 */
export function faultsExplainingUnverified(faults: readonly FaultEvent[]): string[] {
  const down = new Map<string, FaultEvent>()
  for (const f of [...faults].filter((e) => e.ok).sort((a, b) => a.elapsedS - b.elapsedS)) {
    if (f.action === 'kill' || f.action === 'pause') down.set(f.member, f)
    else if (f.action === 'restart' || f.action === 'resume') down.delete(f.member)
  }
  return [...down.values()].map((f) => `${f.action} ${f.member} at ${f.elapsedS.toFixed(1)} s`)
}

function generatorInfo(summary: EngineSummary | null): RunResult['generator'] {
  const g: RunResult['generator'] = {
    cpu: summary?.generatorCpu ?? 0,
    eventLoopLagP99Ms: summary?.eventLoopLagP99Ms ?? 0,
    maxInFlight: summary?.maxInFlight ?? 0,
  }
  if (summary?.scheduleLag) g.scheduleLag = { p50Ms: summary.scheduleLag.p50Ms, p99Ms: summary.scheduleLag.p99Ms, maxMs: summary.scheduleLag.maxMs }
  if (summary?.connections) g.connections = summary.connections
  if (summary?.agents) g.agents = summary.agents
  return g
}

async function applyFault(env: StartedEnvironment, f: PlannedRun['faults'][number], startMs: number): Promise<FaultEvent> {
  const at = new Date()
  const base = { elapsedS: Math.round((at.getTime() - startMs) / 100) / 10, at: at.toISOString(), action: f.action, member: faultTarget(f) }
  try {
    const { atS: _atS, ...fault } = f
    const detail = await env.fault(fault)
    return { ...base, detail, ok: true }
  } catch (e) {
    return { ...base, ok: false, error: describe(e) }
  }
}

/**
 * The warm-up: the same requests (same seed, so the same hot keys) for its own duration, minus
 * creates: the generator names new customers from the seed, so creates in the warm-up would make
 * the measured phase's creates duplicates (409).
 */
export function warmupWorkload(w: Workload, durationS: number): Workload {
  const mix = { ...w.mix, create_customer: 0 }
  const anyLeft = Object.values(mix).some((weight) => (weight ?? 0) > 0)
  return { ...w, mix: anyLeft ? mix : w.mix, load: warmupLoad(w.load, durationS) }
}

/** The warm-up drives the same kind of load for its own (shorter) duration. */
export function warmupLoad(load: LoadModel, durationS: number): LoadModel {
  if (load.model === 'closed') return { ...load, durationS }
  const rate = load.rate ?? Math.max(1, load.stages?.[0]?.target ?? 1)
  return { model: 'open', rate, durationS, maxInFlight: load.maxInFlight }
}

/**
 * The balancer counts requests per backend URL; ports differ from run to run, so results key them
 * by member name (replica-1, ...) instead: repetitions and baselines then line up.
 */
function byMemberName(backends: Record<string, number>, env: StartedEnvironment): Record<string, number> {
  const names = new Map(env.members().flatMap((m) => [m.url, ...(m.aliases ?? [])].map((url) => [url.replace(/\/$/, ''), m.name] as const)))
  const out: Record<string, number> = {}
  for (const [url, count] of Object.entries(backends)) {
    const name = names.get(url.replace(/\/$/, '')) ?? url
    out[name] = (out[name] ?? 0) + count
  }
  return out
}

function writes(w: Workload): boolean {
  return WRITE_OPERATIONS.some((op) => (w.mix[op] ?? 0) > 0)
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** The topology a run uses, as results.json records it (also what threshold tags select on). */
export function topologyInfo(scenario: Scenario, run: PlannedRun, environment = 'local'): TopologyInfo {
  const t = run.topology
  if (!t) {
    return {
      environment: 'external',
      target: (run.target ?? scenario.target)?.href,
      replicas: 1,
      shards: 0,
      balancer: null,
      partition: 'unknown',
      cache: { strategy: 'unknown', size: 0, ttlMs: 0, writePolicy: 'unknown' },
      store: 'unknown',
      capacity: null,
    }
  }
  return {
    environment,
    replicas: t.replicas,
    shards: t.shards,
    balancer: t.replicas > 1 ? { strategy: t.balancer.strategy, engine: t.balancer.implementation } : null,
    partition: t.partition,
    cache: { ...t.cache },
    store: t.store,
    capacity: t.emulation.replica ?? null,
    ...(t.emulation.shard ? { shardCapacity: t.emulation.shard } : {}),
    ...(t.durability !== 'none' ? { durability: t.durability } : {}),
    ...(t.sync.strategy !== 'none'
      ? {
          sync: {
            strategy: t.sync.strategy,
            ...(t.sync.strategy === 'queue-push' ? { broker: t.sync.broker } : {}),
            ...(t.sync.strategy === 'scheduled-pull' ? { intervalMs: t.sync.intervalMs } : {}),
          },
        }
      : {}),
  }
}
