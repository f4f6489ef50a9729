import type { CapacityPlan, UslFit } from '../results/results-schema.js'
import { uslThroughput } from './usl-fit.js'

// The replica count for a target load: the smallest N whose fitted throughput, less the
// headroom kept free for spikes and failures, still covers the target. Past N* the USL curve
// falls, so no N beyond it is ever considered.

const SEARCH_LIMIT = 10_000

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US')
}

/** Plans replicas for `targetRps` keeping `headroom` (0..1) of capacity free; a warning of the fit is repeated in the reason. */
export function planCapacity(fit: UslFit, targetRps: number, headroom: number): CapacityPlan {
  const plan = planFromFit(fit, targetRps, headroom)
  return fit.warning ? { ...plan, reason: `${plan.reason}. WARNING: ${fit.warning}` } : plan
}

function planFromFit(fit: UslFit, targetRps: number, headroom: number): CapacityPlan {
  if (!(targetRps > 0) || !Number.isFinite(targetRps)) throw new RangeError(`target rate must be a positive number of requests per second, got ${targetRps}`)
  if (!(headroom >= 0 && headroom < 1)) throw new RangeError(`headroom must be a share in [0, 1), e.g. 0.3 for 30%, got ${headroom}`)
  const needed = targetRps / (1 - headroom)
  const head = `${Math.round(headroom * 100)}% headroom`
  if (!(fit.lambda > 0)) {
    return { targetRps, headroom, replicas: null, reason: 'the fit has no throughput to plan with (no non-zero measurement)' }
  }
  const maxMeasured = fit.points.reduce((m, p) => Math.max(m, p.n), 0)
  const limit = fit.nStar !== null ? Math.max(1, Math.floor(fit.nStar)) : SEARCH_LIMIT
  let best = { n: 1, x: uslThroughput(fit, 1) }
  for (let n = 1; n <= limit; n++) {
    const x = uslThroughput(fit, n)
    if (x >= needed) {
      const extrapolated = n > maxMeasured && maxMeasured > 0 ? ` (extrapolated beyond the measured N ≤ ${maxMeasured})` : ''
      return {
        targetRps,
        headroom,
        replicas: n,
        reason: `${n} replica${n === 1 ? '' : 's'} give ${fmt(x)} req/s by the fit; with ${head} they serve ${fmt(x * (1 - headroom))} req/s ≥ ${fmt(targetRps)} req/s${extrapolated}`,
      }
    }
    if (x > best.x) best = { n, x }
    else if (fit.nStar === null && n > maxMeasured && x - best.x <= 1e-9 * best.x) break
  }
  const peak =
    fit.nStar !== null && fit.xStar !== null
      ? `the peak X(N*) = ${fmt(fit.xStar)} req/s at N* ≈ ${fit.nStar.toFixed(1)}`
      : `the highest fitted throughput, ${fmt(best.x)} req/s at N = ${best.n}${fit.sigma > 0 ? ` (ceiling λ/σ ≈ ${fmt(fit.lambda / fit.sigma)} req/s)` : ''},`
  return {
    targetRps,
    headroom,
    replicas: null,
    reason: `${peak} is below the ${fmt(needed)} req/s needed for ${fmt(targetRps)} req/s with ${head}: adding replicas cannot reach the target; reduce contention (σ=${fit.sigma.toFixed(3)}) or coherency cost (κ=${fit.kappa.toExponential(2)})`,
  }
}
