// What the page's script needs to draw one chart. The server side decides everything about the
// data; the in-page script (client-script.ts) only turns a spec into a chart.js configuration and
// adds what JSON cannot carry (tick formatters, the marker and whisker plugins).

/** How tick labels and tooltips show values on an axis. */
export type ValueFormat = 'ms' | 'rps' | 'percent' | 'count' | 'seconds' | 'number' | 'replicas'

export interface AxisSpec {
  title: string
  /** 'percentile' = logarithmic 1/(1-p) axis labelled 50 %, 90 %, 99 %, 99.9 % (HdrHistogram style). */
  type: 'linear' | 'category' | 'percentile'
  format: ValueFormat
  min?: number
  max?: number
  /** The axis reaches at least this far (e.g. the top of the highest whisker). */
  suggestedMax?: number
  /** Stacked bars/areas on this axis. */
  stacked?: boolean
}

export interface DatasetSpec {
  label: string
  /** Category charts: one value per label; xy charts: points. null = no value (a gap). */
  data: Array<number | null> | Array<{ x: number; y: number | null }>
  color: string
  kind: 'line' | 'bar' | 'scatter'
  /** Which value axis this dataset uses. */
  axis?: 'y' | 'y2'
  dashed?: boolean
  /** Per-bar colours (e.g. the hottest shard in the warning colour). */
  barColors?: string[]
  /** Per-point colours for scatter/line points (e.g. red where the SLO was missed). */
  pointColors?: string[]
  pointRadius?: number
  /** Confidence-interval whiskers per bar: [lo, hi] or null. */
  whiskers?: Array<[number, number] | null>
  /** Draw the line with steps between points. */
  stepped?: boolean
  /** Fill under a line (light tint). */
  fill?: boolean
}

/** A vertical (axis 'x') or horizontal (axis 'y') marker line with a label: faults, SLO, N*, even share. */
export interface RefLine {
  axis: 'x' | 'y' | 'y2'
  value: number
  label: string
  color: string
  dashed?: boolean
}

export interface ChartSpec {
  /** Matches the canvas's data-chart attribute. */
  id: string
  /** Short text read by screen readers and shown as the figure title. */
  title: string
  labels?: string[]
  datasets: DatasetSpec[]
  x: AxisSpec
  y: AxisSpec
  y2?: AxisSpec
  refLines?: RefLine[]
  /** Hide the legend when there is a single, self-explaining dataset. */
  legend?: boolean
}
