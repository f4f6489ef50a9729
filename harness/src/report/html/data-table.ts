import { html, type HtmlValue, type SafeHtml } from './safe-html.js'

// Every chart's numbers are also available as a table (for reading exact values, copying into a
// document, and for people who cannot read the chart).

export interface Column<Row> {
  header: string
  /** Cell content; text is escaped. */
  cell: (row: Row) => HtmlValue
  /** Right-align numbers so digits line up. */
  numeric?: boolean
  /** Optional class on the cell (e.g. 'fail' for a red value). */
  className?: (row: Row) => string | undefined
}

/** A table with a header row; returns an empty fragment for no rows (callers decide what to show). */
export function dataTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[], caption?: string): SafeHtml {
  return html`<div class="table-wrap"><table>${caption ? html`<caption>${caption}</caption>` : ''}
<thead><tr>${columns.map((c) => html`<th scope="col"${c.numeric ? html` class="num"` : ''}>${c.header}</th>`)}</tr></thead>
<tbody>${rows.map(
    (row) =>
      html`<tr>${columns.map((c) => {
        const classes = [c.numeric ? 'num' : undefined, c.className?.(row)].filter(Boolean).join(' ')
        return html`<td${classes ? html` class="${classes}"` : ''}>${c.cell(row)}</td>`
      })}</tr>
`,
  )}</tbody></table></div>`
}
