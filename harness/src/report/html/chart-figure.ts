import type { ChartSpec } from './chart-spec.js'
import { html, type HtmlValue, type SafeHtml } from './safe-html.js'

// A chart on the page is a <figure>: title, canvas, an optional caption and its numbers as a
// table in <details> (opened automatically when printing). The spec is collected so that the
// page's script can draw it.

/** Collects the chart specs of one report while its sections are rendered. */
export class ChartCollector {
  readonly specs: ChartSpec[] = []
  private next = 0

  /** A unique, predictable id for the next chart ("chart-3-latency"). */
  id(slug: string): string {
    this.next += 1
    return `chart-${this.next}-${slug.replace(/[^a-z0-9-]/gi, '-').toLowerCase()}`
  }

  /** Registers the spec and returns its figure markup. */
  figure(
    spec: ChartSpec,
    numbers: SafeHtml,
    options: { caption?: HtmlValue; tall?: boolean; wide?: boolean /** Long per-second tables stay closed when printing. */; printSkip?: boolean } = {},
  ): SafeHtml {
    this.specs.push(spec)
    const classes = ['chart', options.wide ? 'wide' : undefined].filter(Boolean).join(' ')
    return html`<figure class="${classes}">
<figcaption><span class="chart-title">${spec.title}</span>${options.caption ? html`<span class="chart-caption">${options.caption}</span>` : ''}</figcaption>
<div class="chart-box${options.tall ? ' tall' : ''}"><canvas data-chart="${spec.id}" role="img" aria-label="${spec.title}"></canvas></div>
<details class="numbers"${options.printSkip ? html` data-print-skip` : ''}><summary>Numbers</summary>${numbers}</details>
</figure>`
  }
}
