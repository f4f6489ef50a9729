// Number and date formatting for the page. Every formatter returns an em dash for values that
// are absent or not finite, so a missing measurement never shows as "NaN" or "undefined".

export const MISSING = '—'

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

function finite(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

/** Plain number with sensible precision: 12,345 / 123 / 12.3 / 1.23 / 0.012. */
export function formatNumber(value: number | null | undefined): string {
  if (!finite(value)) return MISSING
  const abs = Math.abs(value)
  if (abs >= 1000) return grouped.format(value)
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return trimZeros(value.toFixed(1))
  if (abs >= 0.1 || abs === 0) return trimZeros(value.toFixed(2))
  return trimZeros(value.toPrecision(2))
}

/** "50.0" -> "50", "3.10" -> "3.1"; integers are left alone. */
function trimZeros(text: string): string {
  return text.includes('.') && !text.includes('e') ? text.replace(/0+$/, '').replace(/\.$/, '') : text
}

/** Integer counts with thousands separators. */
export function formatCount(value: number | null | undefined): string {
  return finite(value) ? grouped.format(Math.round(value)) : MISSING
}

/** Latency in milliseconds. */
export function formatMs(value: number | null | undefined): string {
  return finite(value) ? `${formatNumber(value)} ms` : MISSING
}

/** Throughput in requests per second. */
export function formatRps(value: number | null | undefined): string {
  return finite(value) ? `${formatNumber(value)} req/s` : MISSING
}

/** A share in [0, 1] as a percentage; keeps digits near 0 % and 100 % where they matter (99.95 %). */
export function formatPercent(share: number | null | undefined): string {
  if (!finite(share)) return MISSING
  const pct = share * 100
  const abs = Math.abs(pct)
  let digits = 1
  if (abs !== 0 && (abs < 1 || (abs > 99 && abs < 100))) digits = 2
  if (abs !== 0 && abs < 0.01) return `${pct.toPrecision(1)} %`
  return `${pct.toFixed(digits).replace(/\.0+$/, '')} %`
}

/** Signed relative change: +12.3 % / −4.5 %. */
export function formatRelChange(rel: number | null | undefined): string {
  if (!finite(rel)) return MISSING
  const text = formatPercent(Math.abs(rel))
  return rel > 0 ? `+${text}` : rel < 0 ? `−${text}` : text
}

/** ISO timestamp as "2026-11-22 03:15:04 UTC"; text that is not a date is returned as it is. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return MISSING
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC')
    .replace(/Z$/, ' UTC')
}

/** Seconds as "45 s" / "2 min 5 s" / "1 h 3 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (!finite(seconds)) return MISSING
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`
  return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`
}

/** Interval as "412 [398 – 425]" with the given value formatter. */
export function formatInterval(
  interval: { estimate: number; lo: number; hi: number } | null | undefined,
  format: (v: number) => string = formatNumber,
): string {
  if (!interval || !finite(interval.estimate)) return MISSING
  if (!finite(interval.lo) || !finite(interval.hi) || (interval.lo === interval.estimate && interval.hi === interval.estimate)) {
    return format(interval.estimate)
  }
  return `${format(interval.estimate)} [${format(interval.lo)} – ${format(interval.hi)}]`
}
