// simple-statistics has no Student-t quantile, and its probit is only good to ~3e-3; with 2-5
// repetitions per cell the normal quantile would give intervals far too narrow, so this one is
// written by hand: G. W. Hill, "Algorithm 396: Student's t-quantiles", CACM 13(10), 1970.
// Accurate to ~1e-5 for df >= 1, and it accepts the fractional df of Welch–Satterthwaite.

/** Two-sided critical value: P(|T| > t) = alpha for T ~ Student-t(df). Called for every t-interval. */
export function studentTCritical(alpha: number, df: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0,1), got ${alpha}`)
  if (!(df > 0) || !Number.isFinite(df)) return -normalQuantile(alpha / 2)
  const p = alpha
  if (Math.abs(df - 1) < 1e-9) return Math.cos((p * Math.PI) / 2) / Math.sin((p * Math.PI) / 2)
  if (Math.abs(df - 2) < 1e-9) return Math.sqrt(2 / (p * (2 - p)) - 2)
  const n = df
  const a = 1 / (n - 0.5)
  const b = 48 / (a * a)
  let c = ((20700 * a) / b - 98) * a - 16
  c = c * a + 96.36
  const d = ((94.5 / (b + c) - 3) / b + 1) * Math.sqrt((a * Math.PI) / 2) * n
  let x = d * p
  let y = Math.pow(x, 2 / n)
  if (y > 0.05 + a) {
    x = -normalQuantile(p / 2)
    y = x * x
    if (n < 5) c += 0.3 * (n - 4.5) * (x + 0.6)
    c = (((0.05 * d * x - 5) * x - 7) * x - 2) * x + b + c
    y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * x
    y = a * y * y
    y = y > 0.002 ? Math.exp(y) - 1 : 0.5 * y * y + y
  } else {
    y = (((1 / (((n + 6) / (n * y) - 0.089 * d - 0.822) * (n + 2) * 3) + 0.5 / (n + 4)) * y - 1) * (n + 1)) / (n + 2) + 1 / y
  }
  return Math.sqrt(n * y)
}

/**
 * Standard normal quantile (P. J. Acklam's rational approximation, |error| < 1.2e-9 after one
 * Halley step). Called by studentTCritical and for large-sample z intervals.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0,1), got ${p}`)
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239] as const
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1] as const
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783] as const
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416] as const
  const pLow = 0.02425
  let x: number
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p))
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
  } else if (p <= 1 - pLow) {
    const q = p - 0.5
    const r = q * q
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p))
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
  }
  // One Halley refinement against the exact CDF (erfc from the complementary error function).
  const e = 0.5 * erfc(-x / Math.SQRT2) - p
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2)
  return x - u / (1 + (x * u) / 2)
}

/** Complementary error function (Numerical Recipes erfcc, fractional error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    )
  return x >= 0 ? r : 2 - r
}
