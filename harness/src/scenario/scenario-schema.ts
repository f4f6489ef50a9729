import { z } from 'zod'
import { OPERATIONS } from '../workload/workload.js'
import {
  BALANCER_ENGINE_NAMES,
  BALANCER_STRATEGY_NAMES,
  CACHE_STRATEGY_NAMES,
  DURABILITY_NAMES,
  FAULT_ACTIONS,
  PARTITION_NAMES,
  SCENARIO_KINDS,
  STORE_NAMES,
  WRITE_POLICY_NAMES,
} from './scenario.js'
import { httpSpecSchema } from './http-scenario-schema.js'

// The run-time check of a scenario file (the types in scenario.ts are the editor's view of the
// same shape). Strict objects everywhere: a misspelt field is an error, not silently ignored.
// Defaults live here, so everything after validation works on complete data.

const positiveInt = z.number().int().min(1)
const seconds = z.number().positive()

// Same forms as the SUT's --service-time flag (parseServiceTime), checked here so a typo fails
// before any process starts.
export const SERVICE_TIME_PATTERN = /^(off|(constant|exp):\d+(\.\d+)?)$/
const serviceTime = z
  .string()
  .regex(SERVICE_TIME_PATTERN, { message: 'expected `off`, `constant:<ms>` or `exp:<ms>` (for example "constant:5")' })

const capacitySchema = z.strictObject({
  serviceTime,
  slots: positiveInt.default(8),
  queueLimit: z.number().int().min(0).default(64),
})

export const topologySchema = z.strictObject({
  replicas: positiveInt.max(16).default(1),
  shards: positiveInt.max(16).default(1),
  balancer: z
    .strictObject({
      strategy: z.enum(BALANCER_STRATEGY_NAMES).default('round-robin'),
      engine: z.enum(BALANCER_ENGINE_NAMES).default('builtin'),
      weights: z.array(positiveInt).optional(),
    })
    .default({ strategy: 'round-robin', engine: 'builtin' }),
  partition: z.enum(PARTITION_NAMES).default('hash'),
  cache: z
    .strictObject({
      strategy: z.enum(CACHE_STRATEGY_NAMES).default('none'),
      size: positiveInt.default(10_000),
      ttlMs: positiveInt.default(30_000),
      writePolicy: z.enum(WRITE_POLICY_NAMES).default('invalidate'),
    })
    .default({ strategy: 'none', size: 10_000, ttlMs: 30_000, writePolicy: 'invalidate' }),
  store: z.enum(STORE_NAMES).default('embedded'),
  durability: z.enum(DURABILITY_NAMES).default('none'),
  capacity: z
    .strictObject({ replica: capacitySchema.optional(), shard: capacitySchema.optional() })
    .default({}),
})

const keysSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('uniform') }),
  z.strictObject({ kind: z.literal('zipf'), s: z.number().positive().max(5) }),
  z.strictObject({
    kind: z.literal('hotspot'),
    hotKeyShare: z.number().gt(0).lt(1),
    hotTrafficShare: z.number().gt(0).lt(1),
  }),
  z.strictObject({ kind: z.literal('latest'), s: z.number().positive().max(5) }),
])

const mixSchema = z
  .partialRecord(z.enum(OPERATIONS), z.number().min(0))
  .refine((mix) => Object.values(mix).some((w) => (w ?? 0) > 0), {
    message: `give at least one operation a weight > 0 (operations: ${OPERATIONS.join(', ')})`,
  })

const workloadSchema = z.strictObject({
  mix: mixSchema,
  keys: keysSchema,
  datasetSize: positiveInt.max(1_000_000),
  seed: z.number().int().default(1),
  requestTimeoutMs: positiveInt.default(5_000),
})

const stageSchema = z.strictObject({ durationS: seconds, target: z.number().min(0) })

export const loadSchema = z.discriminatedUnion('model', [
  z.strictObject({
    model: z.literal('closed'),
    connections: positiveInt.max(10_000),
    durationS: seconds,
    pipelining: positiveInt.optional(),
  }),
  z
    .strictObject({
      model: z.literal('open'),
      rate: z.number().positive().optional(),
      durationS: seconds.optional(),
      stages: z.array(stageSchema).min(1).optional(),
      maxInFlight: positiveInt.default(256),
    })
    .superRefine((load, ctx) => {
      const constant = load.rate !== undefined
      const ramping = load.stages !== undefined
      if (constant === ramping) {
        ctx.addIssue({ code: 'custom', message: 'an open load needs either `rate` with `durationS`, or `stages` (not both)' })
      } else if (constant && load.durationS === undefined) {
        ctx.addIssue({ code: 'custom', path: ['durationS'], message: 'a constant open load needs `durationS` (seconds)' })
      }
    }),
])

const thresholdsSchema = z.record(
  z.string(),
  z.array(z.union([z.string(), z.strictObject({ threshold: z.string(), abortOnFail: z.boolean().optional(), delayAbortEval: z.string().optional() })])),
)

const sloSchema = z.strictObject({
  latency: z.strictObject({ stat: z.enum(['p50', 'p90', 'p95', 'p99']), belowMs: z.number().positive() }),
  maxErrorRate: z.number().min(0).max(1),
})

const stressSchema = z.strictObject({
  startRate: z.number().positive(),
  step: z.number().positive(),
  maxRate: z.number().positive(),
  stepDurationS: seconds,
})

const matrixSchema = z.record(z.string(), z.array(z.union([z.string(), z.number()])).min(1))

// The warm-up lasts at least durationS and then goes on until per-second throughput and p95 stop
// improving, for at most maxS in all (default 3 × durationS; maxS = durationS: a fixed warm-up).
const warmupSchema = z
  .strictObject({ durationS: z.number().min(0), maxS: z.number().min(0).optional() })
  .refine((w) => w.maxS === undefined || w.maxS >= w.durationS, { message: 'warmup.maxS must be at least warmup.durationS (the minimum warm-up)', path: ['maxS'] })

const quickSchema = z.strictObject({
  load: loadSchema.optional(),
  warmup: warmupSchema.optional(),
  datasetSize: positiveInt.optional(),
  repetitions: positiveInt.optional(),
  stress: stressSchema.partial().optional(),
  matrix: matrixSchema.optional(),
})

export const faultSchema = z.strictObject({
  atS: z.number().min(0),
  action: z.enum(FAULT_ACTIONS),
  member: z.string().regex(/^(replica-\d+|shard-\d+|balancer|redis)$/, {
    message: 'expected a member name: replica-<n> (from 1), shard-<n> (from 0), balancer or redis',
  }),
  factor: z.number().positive().optional(),
})

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1).max(120),
    kind: z.enum(SCENARIO_KINDS),
    description: z.string().default(''),
    topology: topologySchema.optional(),
    target: z.string().optional(),
    matrix: matrixSchema.default({}),
    /** The CRM workload (operations over the reference service); with `target`, `http` may replace it. */
    workload: workloadSchema.optional(),
    /** The user's own HTTP service: requests and flows sent to `target`. */
    http: httpSpecSchema.optional(),
    load: loadSchema,
    warmup: warmupSchema.default({ durationS: 0 }),
    repetitions: positiveInt.max(50).default(1),
    faults: z.array(faultSchema).default([]),
    thresholds: thresholdsSchema.default({}),
    slo: sloSchema.optional(),
    stress: stressSchema.optional(),
    capacity: z.strictObject({ targetRps: z.number().positive(), headroom: z.number().min(0).lt(1).default(0.3) }).optional(),
    quick: quickSchema.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.topology !== undefined && s.target !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: 'give either `topology` (LoadLab starts it) or `target` (you run it), not both' })
    }
    if ((s.workload === undefined) === (s.http === undefined)) {
      ctx.addIssue({ code: 'custom', path: s.workload === undefined ? ['workload'] : ['http'], message: 'give either `workload` (operations over the CRM) or `http` (requests to your own service at `target`), not both' })
    }
    if (s.http !== undefined && s.target === undefined) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: '`http` sends requests to your own service: give its URL as `target` (for example "http://127.0.0.1:8080")' })
    }
    if (s.http !== undefined && s.load.model === 'closed' && (s.load.pipelining ?? 1) > 1) {
      ctx.addIssue({ code: 'custom', path: ['load', 'pipelining'], message: 'pipelining is not available with `http` (a flow waits for each response before its next step); leave it out' })
    }
    if (s.kind === 'stress') {
      if (s.stress === undefined) {
        ctx.addIssue({ code: 'custom', path: ['stress'], message: 'kind "stress" needs `stress: { startRate, step, maxRate, stepDurationS }`' })
      } else if (s.stress.maxRate < s.stress.startRate) {
        ctx.addIssue({ code: 'custom', path: ['stress', 'maxRate'], message: 'maxRate must be >= startRate' })
      }
      if (s.load.model !== 'open') {
        ctx.addIssue({ code: 'custom', path: ['load', 'model'], message: 'kind "stress" steps an arrival rate: use `model: "open"`' })
      }
    }
    for (const [i, f] of s.faults.entries()) {
      if (f.action === 'slow' && f.factor === undefined) {
        ctx.addIssue({ code: 'custom', path: ['faults', i, 'factor'], message: 'a "slow" fault needs `factor` (for example 5 = five times slower)' })
      }
    }
  })

export type ParsedScenario = z.output<typeof scenarioSchema>
export type ParsedTopology = z.output<typeof topologySchema>
