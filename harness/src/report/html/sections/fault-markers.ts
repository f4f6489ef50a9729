import type { FaultEvent } from '../../../results/results-schema.js'
import type { RefLine } from '../chart-spec.js'
import { faultColor } from '../palette.js'

// Faults injected during a run (kill, pause, restart, ...) become labelled vertical lines on the
// over-time charts, so a latency spike can be read against what caused it.

export function faultLabel(f: FaultEvent): string {
  return `${f.action} ${f.member}${f.ok ? '' : ' (failed)'}`
}

export function faultMarkers(faults: readonly FaultEvent[] | undefined, prefix = ''): RefLine[] {
  return (faults ?? [])
    .filter((f) => Number.isFinite(f.elapsedS))
    .map((f) => ({
      axis: 'x' as const,
      value: f.elapsedS,
      label: `${prefix}${faultLabel(f)}`,
      color: f.ok ? faultColor(f.action) : '#6b7280',
      dashed: !f.ok,
    }))
}
