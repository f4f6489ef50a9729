// Restrained colours that stay distinguishable in print and for the common colour-vision
// deficiencies (based on the Tableau 10 / Okabe-Ito families, slightly muted).

export const SERIES_COLORS = ['#3b6fb6', '#e08a2c', '#3a9a6b', '#8c5fb0', '#c8a415', '#4aa3c1', '#c4566c', '#7a7a7a', '#2c8a8c', '#9a7447'] as const

export const COLORS = {
  pass: '#1f7a4d',
  fail: '#c0392b',
  warn: '#b7791f',
  hot: '#c0392b',
  neutral: '#6b7280',
  slo: '#c0392b',
  p50: '#3a9a6b',
  p95: '#e08a2c',
  p99: '#c4566c',
  rps: '#3b6fb6',
  fit: '#8c5fb0',
  ideal: '#9ca3af',
} as const

/** The colour for the i-th series (wraps around). */
export function seriesColor(index: number): string {
  return SERIES_COLORS[((index % SERIES_COLORS.length) + SERIES_COLORS.length) % SERIES_COLORS.length]!
}

/** Fault marker colour by action: stopping things in red, bringing them back in green. */
export function faultColor(action: string): string {
  switch (action) {
    case 'kill':
      return '#c0392b'
    case 'pause':
    case 'slow':
      return '#b7791f'
    case 'resume':
    case 'restart':
      return '#1f7a4d'
    default:
      return '#6b7280'
  }
}
