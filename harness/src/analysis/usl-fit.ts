import type { UslFit } from '../results/results-schema.js'

// The Universal Scalability Law (N. J. Gunther): X(N) = λN / (1 + σ(N−1) + κN(N−1)), with σ the
// contention (serial) share and κ the coherency (crosstalk) cost. No installed library does
// bounded nonlinear least squares, so it is here: a grid search over (σ, κ) with λ solved in
// closed form for each grid point (λ enters linearly: variable projection) gives a start that
// cannot land in a wrong basin, then Levenberg–Marquardt on (λ, σ, κ), projected onto
// λ > 0, 0 ≤ σ ≤ 1, κ ≥ 0, polishes it.

export interface ThroughputPoint {
  n: number
  throughput: number
}
export interface UslParameters {
  sigma: number
  kappa: number
  lambda: number
}

export function uslThroughput(p: UslParameters, n: number): number {
  const d = 1 + p.sigma * (n - 1) + p.kappa * n * (n - 1)
  return d > 0 ? (p.lambda * n) / d : 0
}

/** N* = sqrt((1−σ)/κ), the replica count of peak throughput; null when κ is 0. */
export function uslPeakN(p: UslParameters): number | null {
  return p.kappa > 0 && p.sigma < 1 ? Math.sqrt((1 - p.sigma) / p.kappa) : null
}

function sse(points: readonly ThroughputPoint[], p: UslParameters): number {
  return points.reduce((s, q) => s + (q.throughput - uslThroughput(p, q.n)) ** 2, 0)
}

/** Best λ for fixed σ, κ (linear least squares through the origin). */
function projectLambda(points: readonly ThroughputPoint[], sigma: number, kappa: number): number {
  let num = 0
  let den = 0
  for (const q of points) {
    const g = uslThroughput({ sigma, kappa, lambda: 1 }, q.n)
    num += q.throughput * g
    den += g * g
  }
  return den > 0 ? Math.max(0, num / den) : 0
}

function gridStart(points: readonly ThroughputPoint[], fixKappaZero: boolean): UslParameters {
  const kappas = fixKappaZero ? [0] : [0, ...Array.from({ length: 81 }, (_, i) => 10 ** (-8 + i * 0.1))]
  let best: UslParameters = { sigma: 0, kappa: 0, lambda: projectLambda(points, 0, 0) }
  let bestErr = sse(points, best)
  for (let si = 0; si <= 100; si++) {
    const sigma = si / 100
    for (const kappa of kappas) {
      const lambda = projectLambda(points, sigma, kappa)
      const p = { sigma, kappa, lambda }
      const e = sse(points, p)
      if (e < bestErr) {
        best = p
        bestErr = e
      }
    }
  }
  return best
}

function solve3(a: number[][], b: number[]): number[] | null {
  // Indices below stay inside the n × (n + 1) augmented matrix.
  const m = a.map((row, i) => [...row, b[i]!])
  const n = b.length
  for (let c = 0; c < n; c++) {
    let piv = c
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[piv]![c]!)) piv = r
    const pivot = m[piv]!
    if (Math.abs(pivot[c]!) < 1e-300) return null
    m[piv] = m[c]!
    m[c] = pivot
    for (let r = 0; r < n; r++) {
      if (r === c) continue
      const row = m[r]!
      const f = row[c]! / pivot[c]!
      for (let k = c; k <= n; k++) row[k]! -= f * pivot[k]!
    }
  }
  return m.map((row, i) => row[n]! / row[i]!)
}

function levenbergMarquardt(points: readonly ThroughputPoint[], start: UslParameters, fixKappaZero: boolean): UslParameters {
  let p = { ...start }
  let err = sse(points, p)
  let mu = 1e-3
  const nParams = fixKappaZero ? 2 : 3
  for (let iter = 0; iter < 300; iter++) {
    const jtj = Array.from({ length: nParams }, () => new Array<number>(nParams).fill(0))
    const jtr = new Array<number>(nParams).fill(0)
    for (const q of points) {
      const d = 1 + p.sigma * (q.n - 1) + p.kappa * q.n * (q.n - 1)
      const fitted = (p.lambda * q.n) / d
      const r = q.throughput - fitted
      const j = [q.n / d, (-p.lambda * q.n * (q.n - 1)) / (d * d), (-p.lambda * q.n * q.n * (q.n - 1)) / (d * d)].slice(0, nParams)
      for (let a = 0; a < nParams; a++) {
        jtr[a]! += j[a]! * r
        for (let b = 0; b < nParams; b++) jtj[a]![b]! += j[a]! * j[b]!
      }
    }
    let improved = false
    for (let attempt = 0; attempt < 12 && !improved; attempt++) {
      const a = jtj.map((row, i) => row.map((v, k) => (i === k ? v + mu * (v > 0 ? v : 1e-12) : v)))
      const delta = solve3(a, jtr)
      if (!delta) {
        mu *= 10
        continue
      }
      const cand = {
        lambda: Math.max(1e-12, p.lambda + delta[0]!),
        sigma: Math.min(1, Math.max(0, p.sigma + delta[1]!)),
        kappa: fixKappaZero ? 0 : Math.max(0, p.kappa + delta[2]!),
      }
      const e = sse(points, cand)
      if (e < err) {
        const rel = (err - e) / Math.max(err, 1e-300)
        p = cand
        err = e
        mu = Math.max(1e-12, mu / 3)
        improved = true
        if (rel < 1e-14) return p
      } else {
        mu *= 4
      }
    }
    if (!improved) break
  }
  return p
}

/** Mean throughput per distinct N, sorted by N; points with non-finite or negative values dropped. */
export function aggregateThroughputPoints(points: readonly ThroughputPoint[]): ThroughputPoint[] {
  const byN = new Map<number, number[]>()
  for (const q of points) {
    if (!Number.isFinite(q.n) || !Number.isFinite(q.throughput) || q.n < 1 || q.throughput < 0) continue
    byN.set(q.n, [...(byN.get(q.n) ?? []), q.throughput])
  }
  return [...byN.entries()].sort((a, b) => a[0] - b[0]).map(([n, xs]) => ({ n, throughput: xs.reduce((s, v) => s + v, 0) / xs.length }))
}

/**
 * Fits the USL to measured (N, throughput) points. Always returns finite numbers; `note` says
 * what degenerate data (fewer than 3 replica counts, κ ≈ 0) can and cannot tell.
 */
export function fitUsl(raw: readonly ThroughputPoint[]): UslFit {
  const points = aggregateThroughputPoints(raw)
  const notes: string[] = []
  if (points.length === 0 || points.every((q) => q.throughput === 0)) {
    return {
      sigma: 0,
      kappa: 0,
      lambda: 0,
      nStar: null,
      xStar: null,
      r2: 0,
      points: points.map((q) => ({ ...q, fitted: 0, residual: q.throughput, efficiency: 0 })),
      note: 'no non-zero throughput measured: nothing to fit',
    }
  }
  let params: UslParameters
  if (points.length === 1) {
    const [only] = points as [ThroughputPoint]
    params = { sigma: 0, kappa: 0, lambda: only.throughput / only.n }
    notes.push(`only one replica count (N=${only.n}) measured: σ and κ cannot be estimated; λ assumes linear scaling. Measure at least 3 replica counts`)
  } else if (points.length === 2) {
    params = levenbergMarquardt(points, gridStart(points, true), true)
    notes.push(`only 2 replica counts measured: κ fixed at 0 (Amdahl's law), so N* is unknown. Measure at least 3 replica counts`)
  } else {
    params = levenbergMarquardt(points, gridStart(points, false), false)
  }
  const maxN = points[points.length - 1]!.n
  // κ ≈ 0: at the largest measured N the coherency term is under 1% of the denominator, so the
  // data cannot tell κ from 0 and any N* would be pure extrapolation.
  const kappaNegligible = params.kappa * maxN * (maxN - 1) < 0.01 * (1 + params.sigma * (maxN - 1))
  let nStar: number | null = null
  let xStar: number | null = null
  if (points.length >= 3) {
    if (kappaNegligible) {
      notes.push(
        `no retrograde region measured (κ ≈ 0 up to N=${maxN}); throughput still rising${params.sigma > 0 ? `, towards a ceiling of λ/σ ≈ ${Math.round(params.lambda / params.sigma)} req/s` : ''}`,
      )
    } else {
      nStar = uslPeakN(params)
      xStar = nStar !== null ? uslThroughput(params, nStar) : null
      if (nStar !== null && nStar > 2 * maxN) notes.push(`N* ≈ ${nStar.toFixed(1)} is an extrapolation well beyond the measured N ≤ ${maxN}`)
    }
  }
  const warning = scaleOutWarning(points, nStar)
  const fittedPoints = points.map((q) => ({ ...q, fitted: uslThroughput(params, q.n) }))
  const mean = points.reduce((s, q) => s + q.throughput, 0) / points.length
  const ssTot = points.reduce((s, q) => s + (q.throughput - mean) ** 2, 0)
  const ssRes = fittedPoints.reduce((s, q) => s + (q.throughput - q.fitted) ** 2, 0)
  const r2 = points.length < 2 ? 0 : ssTot > 0 ? 1 - ssRes / ssTot : ssRes < 1e-9 ? 1 : 0
  const x1 = points.find((q) => q.n === 1)?.throughput ?? params.lambda
  return {
    sigma: params.sigma,
    kappa: params.kappa,
    lambda: params.lambda,
    nStar,
    xStar,
    r2,
    points: fittedPoints.map((q) => ({
      n: q.n,
      throughput: q.throughput,
      fitted: q.fitted,
      residual: q.throughput - q.fitted,
      efficiency: x1 > 0 ? q.throughput / (q.n * x1) : 0,
    })),
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    ...(warning ? { warning } : {}),
  }
}

/**
 * What a planner must hear before trusting the fit: more replicas never served more than the
 * fewest did (a bottleneck outside the replicas, or a broken measurement), or the fitted peak
 * lies below every measured N, where no replica count exists to choose.
 */
function scaleOutWarning(points: readonly ThroughputPoint[], nStar: number | null): string | null {
  const [first, ...rest] = points
  const last = rest.at(-1)
  if (first === undefined || last === undefined) return null
  const warnings: string[] = []
  if (rest.every((q) => q.throughput <= first.throughput)) {
    warnings.push(
      `throughput does not increase with replicas (N=${first.n}: ${Math.round(first.throughput)} req/s, N=${last.n}: ${Math.round(last.throughput)} req/s): ` +
        'adding replicas did not help in these measurements, so the fit cannot plan a scale-out; look for a bottleneck outside the replicas (a shared shard, the balancer, the load generator) or a broken run',
    )
  }
  if (nStar !== null && nStar < first.n) {
    warnings.push(
      `the fitted peak N* ≈ ${nStar.toFixed(2)} lies below the smallest measured N = ${first.n}: no replica count exists there, so N* and X(N*) are artefacts of the fit, not a recommendation`,
    )
  }
  return warnings.length > 0 ? warnings.join('; ') : null
}
