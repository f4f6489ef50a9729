import { SERVICE_TIME_PATTERN } from '#crm-contract'
import { z } from 'zod'
import { OPERATIONS } from '../workload/workload.js'
import {
  BALANCER_ENGINE_NAMES,
  BALANCER_STRATEGY_NAMES,
  CACHE_STRATEGY_NAMES,
  DURABILITY_NAMES,
  ENVIRONMENT_NAMES,
  FAULT_ACTIONS,
  RESOURCE_ROLES,
  PARTITION_NAMES,
  SCENARIO_KINDS,
  STORE_NAMES,
  SYNC_BROKER_NAMES,
  SYNC_STRATEGY_NAMES,
  WRITE_POLICY_NAMES,
  NETWORK_FAULT_ACTIONS,
} from './scenario.js'
import { httpSpecSchema } from './http-scenario-schema.js'
import { parseLink } from './link-spec.js'

// The run-time check of a scenario file (the types in scenario.ts are the editor's view of the
// same shape). Strict objects everywhere: a misspelt field is an error, not silently ignored.
// Defaults live here, so everything after validation works on complete data.

const positiveInt = z.number().int().min(1)
const seconds = z.number().positive()

// The forms of the service's --service-time flag (the contract), checked here so a typo fails
// before any process starts.
export { SERVICE_TIME_PATTERN }
const serviceTime = z
  .string()
  .regex(SERVICE_TIME_PATTERN, { message: 'expected `off`, `constant:<ms>` or `exp:<ms>` (for example "constant:5")' })

const capacitySchema = z.strictObject({
  serviceTime,
  slots: positiveInt.default(8),
  queueLimit: z.number().int().min(0).default(64),
})

const SYNC_DEFAULTS = { strategy: 'none', broker: 'rabbitmq', intervalMs: 1_000, batch: 500, drainTimeoutS: 60 } as const

// Docker's own bounds: a CPU quota below 0.01 core is refused, and a container under 6 MB cannot
// start; 16 MB is the least a CRM role could live in.
const resourcesSchema = z.strictObject({
  cpus: z.number().min(0.01).max(256).optional(),
  memoryMb: z.number().int().min(16).optional(),
})

// Toxiproxy delays in whole milliseconds: 1.5 would be refused when the run starts, so say it now.
const wholeMs = z.number().int({ message: 'whole milliseconds (Toxiproxy has no finer delay; for 1-2 ms write latencyMs: 2, jitterMs: 1)' }).min(0)

const linkConditionSchema = z
  .strictObject({
    latencyMs: wholeMs.optional(),
    jitterMs: wholeMs.optional(),
    rateKBps: z.number().int().min(1).optional(),
  })
  .refine((c) => c.latencyMs !== undefined || c.rateKBps !== undefined, { message: 'give `latencyMs` (and `jitterMs`) and/or `rateKBps`' })

const linkKey = z.string().superRefine((text, ctx) => {
  const parsed = parseLink(text)
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
})
const linksSchema = z.record(linkKey, linkConditionSchema)

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
  resources: z.partialRecord(z.enum(RESOURCE_ROLES), resourcesSchema).default({}),
  links: linksSchema.default({}),
  sync: z
    .strictObject({
      strategy: z.enum(SYNC_STRATEGY_NAMES).default(SYNC_DEFAULTS.strategy),
      // A broker is used by queue-push only; the others ignore it, so one topology can carry it across a matrix of strategies.
      broker: z.enum(SYNC_BROKER_NAMES).default(SYNC_DEFAULTS.broker),
      intervalMs: positiveInt.max(3_600_000).default(SYNC_DEFAULTS.intervalMs),
      batch: positiveInt.max(5_000).default(SYNC_DEFAULTS.batch),
      drainTimeoutS: seconds.max(3_600).default(SYNC_DEFAULTS.drainTimeoutS),
    })
    .default(SYNC_DEFAULTS),
}).superRefine((t, ctx) => {
  // An embedded shard's service time is emulated; a PostgreSQL shard's is PostgreSQL's own.
  if (t.store === 'postgres' && t.capacity.shard !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['capacity', 'shard'],
      message: 'capacity.shard emulates an embedded shard\'s service time; with store "postgres" the shards are PostgreSQL itself: remove capacity.shard, or use store "embedded"',
    })
  }
  if (t.store === 'postgres' && (t.sync.strategy === 'queue-push' || t.sync.strategy === 'scheduled-pull')) {
    ctx.addIssue({
      code: 'custom',
      path: ['sync', 'strategy'],
      message: `"${t.sync.strategy}" reads the shards' change feed, which only the embedded store keeps: use store "embedded", or sync strategy "sync-call" or "none"`,
    })
  }
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
  member: z
    .string()
    .regex(/^(replica-\d+|shard-\d+|balancer|redis|memcached|postgres|downstream|rabbitmq|kafka)$/, {
      message: 'expected a member name: replica-<n> (from 1), shard-<n> (from 0), balancer, redis, memcached, postgres, downstream, rabbitmq or kafka',
    })
    .optional(),
  link: z.string().optional(),
  factor: z.number().positive().optional(),
  cpus: z.number().min(0.01).max(256).optional(),
  latencyMs: wholeMs.optional(),
  jitterMs: wholeMs.optional(),
  rateKBps: z.number().int().min(1).optional(),
  timeoutMs: z.number().int().min(0).optional(),
})

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1).max(120),
    kind: z.enum(SCENARIO_KINDS),
    description: z.string().default(''),
    environment: z.enum(ENVIRONMENT_NAMES).default('local'),
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
      for (const problem of faultProblems(f)) ctx.addIssue({ code: 'custom', path: ['faults', i, ...problem.path], message: problem.message })
    }
  })

// Which parameter each fault action needs, and which it takes at all: a `latencyMs` on a "kill"
// is a mistake worth naming, not a value to ignore.
const FAULT_PARAMETERS: Record<(typeof FAULT_ACTIONS)[number], { needs?: string; example?: string; takes: readonly string[] }> = {
  kill: { takes: [] },
  pause: { takes: [] },
  resume: { takes: [] },
  restart: { takes: [] },
  slow: { needs: 'factor', example: '5 = five times slower', takes: ['factor'] },
  cpus: { needs: 'cpus', example: '0.25 = a quarter of a core', takes: ['cpus'] },
  latency: { needs: 'latencyMs', example: '2', takes: ['latencyMs', 'jitterMs'] },
  bandwidth: { needs: 'rateKBps', example: '100 = 100 KB/s', takes: ['rateKBps'] },
  timeout: { takes: ['timeoutMs'] },
  reset: { takes: ['timeoutMs'] },
  partition: { takes: [] },
  heal: { takes: [] },
}
const PARAMETER_FIELDS = ['factor', 'cpus', 'latencyMs', 'jitterMs', 'rateKBps', 'timeoutMs'] as const

function faultProblems(f: z.output<typeof faultSchema>): Array<{ path: string[]; message: string }> {
  const problems: Array<{ path: string[]; message: string }> = []
  const spec = FAULT_PARAMETERS[f.action]
  const network = (NETWORK_FAULT_ACTIONS as readonly string[]).includes(f.action)
  if (network) {
    if ((f.member === undefined) === (f.link === undefined)) {
      problems.push({ path: ['link'], message: `a "${f.action}" fault needs either \`link\` (like 'replica-1 -> shard-0') or \`member\` (every link into or out of it), not both` })
    } else if (f.link !== undefined) {
      const parsed = parseLink(f.link)
      if (typeof parsed === 'string') problems.push({ path: ['link'], message: parsed })
    }
  } else {
    if (f.member === undefined) problems.push({ path: ['member'], message: `a "${f.action}" fault needs \`member\` (replica-<n>, shard-<n>, balancer or redis)` })
    if (f.link !== undefined) problems.push({ path: ['link'], message: `\`link\` is for network faults (${NETWORK_FAULT_ACTIONS.join(', ')}); "${f.action}" acts on a \`member\`` })
  }
  if (spec.needs && f[spec.needs as (typeof PARAMETER_FIELDS)[number]] === undefined) {
    problems.push({ path: [spec.needs], message: `a "${f.action}" fault needs \`${spec.needs}\` (for example ${spec.example})` })
  }
  for (const field of PARAMETER_FIELDS) {
    if (f[field] !== undefined && !spec.takes.includes(field)) {
      const owners = Object.entries(FAULT_PARAMETERS).filter(([, p]) => p.takes.includes(field)).map(([action]) => action)
      problems.push({ path: [field], message: `\`${field}\` is for ${owners.join(', ')} faults, not "${f.action}": remove it` })
    }
  }
  return problems
}

export type ParsedScenario = z.output<typeof scenarioSchema>
export type ParsedTopology = z.output<typeof topologySchema>
