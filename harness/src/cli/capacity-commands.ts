import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { z } from 'zod'
import { groupCells, scaleOutPoints } from '../analysis/analyze-suite.js'
import { planCapacity } from '../analysis/capacity-plan.js'
import { fitUsl, type ThroughputPoint } from '../analysis/usl-fit.js'
import { parseSuiteResult, ResultsFileError } from '../results/load-results-file.js'
import type { CapacityPlan, SuiteResult, UslFit } from '../results/results-schema.js'
import { CliExit, parseShare, processIo, type CliIo } from './compare-command.js'

// `loadlab capacity fit <file>` and `loadlab capacity plan --fit <file> --target-rps X [--headroom 0.3]`.
// Exit codes as described at the top of compare-command.ts (errors are thrown, never process.exit).
// Output: the JSON answer on stdout (pipe it to jq or save it as fit.json); `plan` also writes its
// sentence to stderr so a human sees it without breaking the JSON on stdout.
//
// Accepted inputs: a CSV with a header naming the columns `n` and `throughput` (any order, other
// columns ignored, `#` comment lines and blank lines skipped), a results.json whose cells have a
// `replicas` key (throughput = successful req/s of the best cell at each N), or — for `plan` — a
// fit JSON printed by `capacity fit`.

const fitJson = z.looseObject({
  sigma: z.number().finite().min(0).max(1),
  kappa: z.number().finite().min(0),
  lambda: z.number().finite().positive(),
  nStar: z.number().finite().nullable(),
  xStar: z.number().finite().nullable(),
  r2: z.number().finite(),
  points: z.array(z.looseObject({ n: z.number(), throughput: z.number(), fitted: z.number(), residual: z.number(), efficiency: z.number() })),
  note: z.string().optional(),
  warning: z.string().optional(),
})

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new CliExit(2, `${file}: cannot read it (${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}); check the path`)
  }
}

/** Parses `n,throughput` CSV; errors name the file, the line number and the fix. */
export function parseThroughputCsv(text: string, file: string): ThroughputPoint[] {
  const lines = text
    .split(/\r?\n/)
    .map((l, i) => ({ no: i + 1, text: l.trim() }))
    .filter((l) => l.text !== '' && !l.text.startsWith('#'))
  const [headerLine] = lines
  if (headerLine === undefined) throw new CliExit(2, `${file}: empty; write a header "n,throughput" and one line per replica count, e.g. "3,2450"`)
  const header = headerLine.text.split(',').map((h) => h.trim().toLowerCase())
  const nCol = header.indexOf('n')
  const xCol = header.indexOf('throughput')
  if (nCol < 0 || xCol < 0) {
    throw new CliExit(2, `${file}: line ${headerLine.no}: header "${headerLine.text}" must name the columns n and throughput, e.g. "n,throughput"`)
  }
  const points: ThroughputPoint[] = []
  for (const l of lines.slice(1)) {
    const cells = l.text.split(',').map((c) => c.trim())
    const n = Number(cells[nCol])
    const x = Number(cells[xCol])
    if (
      cells[nCol] === undefined ||
      cells[xCol] === undefined ||
      cells[nCol] === '' ||
      cells[xCol] === '' ||
      !Number.isInteger(n) ||
      n < 1 ||
      !Number.isFinite(x) ||
      x < 0
    ) {
      throw new CliExit(2, `${file}: line ${l.no}: "${l.text}": n must be a whole number ≥ 1 and throughput a number ≥ 0 (req/s)`)
    }
    points.push({ n, throughput: x })
  }
  if (points.length === 0) throw new CliExit(2, `${file}: no data lines after the header; add one line per replica count, e.g. "3,2450"`)
  return points
}

type FitSource = { kind: 'points'; points: ThroughputPoint[] } | { kind: 'fit'; fit: UslFit }

/** Reads a CSV, a results.json or (when `allowFit`) a fit JSON. */
export function readFitSource(file: string, allowFit: boolean): FitSource {
  const text = read(file)
  const trimmed = text.trimStart()
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return { kind: 'points', points: parseThroughputCsv(text, file) }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new CliExit(
      2,
      `${file}: not valid JSON (${error instanceof Error ? error.message : String(error)}); give a CSV "n,throughput", a results.json or a fit JSON`,
    )
  }
  if (json && typeof json === 'object' && 'sigma' in json) {
    if (!allowFit) throw new CliExit(2, `${file}: this is already a fit; give the measurements (CSV "n,throughput" or a results.json) to fit`)
    const r = fitJson.safeParse(json)
    if (!r.success) {
      // A failed parse has at least one issue.
      const issue = r.error.issues[0]!
      throw new CliExit(2, `${file}: ${issue.path.join('.') || 'fit'}: ${issue.message}; give the JSON printed by \`loadlab capacity fit\``)
    }
    const { sigma, kappa, lambda, nStar, xStar, r2, points, note, warning } = r.data
    return {
      kind: 'fit',
      fit: {
        sigma,
        kappa,
        lambda,
        nStar,
        xStar,
        r2,
        points: points.map(({ n, throughput, fitted, residual, efficiency }) => ({ n, throughput, fitted, residual, efficiency })),
        ...(note !== undefined ? { note } : {}),
        ...(warning !== undefined ? { warning } : {}),
      },
    }
  }
  let suite: SuiteResult
  try {
    suite = parseSuiteResult(json, file)
  } catch (error) {
    if (error instanceof ResultsFileError) throw new CliExit(2, error.message)
    throw error
  }
  const points = scaleOutPoints(groupCells(suite.runs))
  if (points.length === 0) {
    throw new CliExit(
      2,
      `${file}: no run has a "replicas" matrix key, so there is no throughput per replica count; run a scale-out scenario or give a CSV "n,throughput"`,
    )
  }
  return { kind: 'points', points }
}

export function runCapacityFit(file: string, io: CliIo = processIo): UslFit {
  const src = readFitSource(file, false)
  const fit = src.kind === 'fit' ? src.fit : fitUsl(src.points)
  io.out(`${JSON.stringify(fit, null, 2)}\n`)
  if (fit.note) io.err(`note: ${fit.note}\n`)
  if (fit.warning) io.err(`warning: ${fit.warning}\n`)
  return fit
}

export function runCapacityPlan(file: string, targetRps: number, headroom: number, io: CliIo = processIo): CapacityPlan {
  const src = readFitSource(file, true)
  const fit = src.kind === 'fit' ? src.fit : fitUsl(src.points)
  const plan = planCapacity(fit, targetRps, headroom)
  io.out(
    `${JSON.stringify({ ...plan, fit: { sigma: fit.sigma, kappa: fit.kappa, lambda: fit.lambda, nStar: fit.nStar, xStar: fit.xStar, r2: fit.r2, ...(fit.warning ? { warning: fit.warning } : {}) } }, null, 2)}\n`,
  )
  io.err(
    plan.replicas !== null
      ? `${plan.replicas} replica${plan.replicas === 1 ? '' : 's'}: ${plan.reason}.\n`
      : `no replica count reaches the target: ${plan.reason}.\n`,
  )
  return plan
}

function parseTarget(text: string): number {
  const r = z.coerce.number().finite().positive().safeParse(text)
  if (!r.success || text.trim() === '')
    throw new CliExit(2, `--target-rps ${JSON.stringify(text)}: give the load to plan for in requests per second, a number > 0, e.g. --target-rps 2000`)
  return r.data
}

export function registerCapacityCommands(program: Command, io: CliIo = processIo): Command {
  const capacity = program.command('capacity').description('fit the Universal Scalability Law to scale-out measurements and plan replica counts')
  capacity
    .command('fit')
    .description('fit X(N) = λN / (1 + σ(N−1) + κN(N−1)) and print the fit as JSON')
    .argument('<file>', 'CSV with a header "n,throughput", or a results.json of a scale-out scenario')
    .action((file: string) => {
      runCapacityFit(file, io)
    })
  capacity
    .command('plan')
    .description('print the smallest replica count that serves the target with the headroom, or say that the peak is below it')
    .requiredOption('--fit <file>', 'fit JSON from `loadlab capacity fit`, a CSV "n,throughput", or a results.json')
    .requiredOption('--target-rps <rate>', 'load to plan for, requests per second')
    .option('--headroom <share>', 'share of capacity kept free for spikes and failures', '0.3')
    .action((flags: { fit: string; targetRps: string; headroom: string }) => {
      runCapacityPlan(flags.fit, parseTarget(flags.targetRps), parseShare('--headroom', flags.headroom), io)
    })
  return capacity
}
