// The page's stylesheet: system fonts, a light, restrained palette, readable tables with
// tabular figures, and a print layout (A4, no backgrounds behind text, charts sized to the
// page, numbers tables opened, sections kept together where they fit).

export const REPORT_CSS = String.raw`
:root {
  --text: #1f2937; --muted: #6b7280; --line: #e5e7eb; --soft: #f6f7f9; --accent: #3b6fb6;
  --pass: #1f7a4d; --pass-bg: #e9f6ef; --fail: #b4322a; --fail-bg: #fcecea; --warn: #9a6212; --warn-bg: #fdf4e3;
  --font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif;
  --mono: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font-family: var(--font); font-size: 15px; line-height: 1.5; color: var(--text); background: #fff; }
.page { max-width: 1180px; margin: 0 auto; padding: 32px 32px 64px; }
h1 { font-size: 30px; line-height: 1.2; margin: 4px 0 8px; letter-spacing: -0.01em; overflow-wrap: anywhere; }
h2 { font-size: 21px; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 8px; }
code, pre { font-family: var(--mono); font-size: 0.9em; }
pre.error { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; max-width: 60ch; }
.muted { color: var(--muted); }
.eyebrow { color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: 0.06em; }
.description { margin: 0 0 12px; color: #374151; max-width: 80ch; }
.meta { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 12px 0 0; font-size: 14px; }
.meta div, .params div { display: flex; flex-direction: column; }
.meta dt, .params dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.meta dd, .params dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.params { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 8px 0 16px; font-size: 14px; }
.page-header { padding-bottom: 18px; }
.verdict { display: flex; align-items: center; gap: 16px; padding: 16px 20px; margin: 8px 0 28px; border-radius: 8px; border: 1px solid; }
.verdict.pass { background: var(--pass-bg); border-color: #b7dfc8; }
.verdict.fail { background: var(--fail-bg); border-color: #f0c2bd; }
.verdict-text { margin: 0; font-size: 18px; font-weight: 600; flex: 1; overflow-wrap: anywhere; }
.exit-code { color: var(--muted); font-size: 12px; white-space: nowrap; }
.badge { display: inline-block; padding: 4px 12px; border-radius: 999px; font-weight: 700; font-size: 14px; color: #fff; white-space: nowrap; }
.badge.pass { background: var(--pass); }
.badge.fail { background: var(--fail); }
.tag { display: inline-block; padding: 0 7px; border-radius: 999px; font-size: 12px; font-weight: 600; background: #eef0f3; color: #374151; white-space: nowrap; }
.tag.pass { background: var(--pass-bg); color: var(--pass); }
.tag.fail { background: var(--fail-bg); color: var(--fail); }
.tag.warn { background: var(--warn-bg); color: var(--warn); }
nav.toc { position: sticky; top: 0; z-index: 5; background: rgba(255,255,255,0.96); border-bottom: 1px solid var(--line); margin: 0 -32px 24px; padding: 8px 32px; font-size: 14px; }
nav.toc ol { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 0; padding: 0; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
section.report-section { margin: 0 0 40px; scroll-margin-top: 48px; }
.lede { margin: 0 0 14px; color: #374151; max-width: 95ch; }
.lede.ok { color: var(--pass); font-weight: 600; }
.note { margin: 0 0 12px; padding: 8px 12px; background: var(--warn-bg); border-left: 3px solid var(--warn); }
.plan { font-size: 16px; padding: 12px 16px; border-left: 4px solid var(--pass); background: var(--soft); margin: 0 0 14px; }
.plan.fail { border-left-color: var(--fail); }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px; }
.figure-card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: #fff; }
.figure-card.pass { border-top: 3px solid var(--pass); }
.figure-card.fail { border-top: 3px solid var(--fail); }
.figure-card.warn { border-top: 3px solid var(--warn); }
.figure-label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.figure-value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; margin: 2px 0; }
.figure-note { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
.chart-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 20px; }
figure.chart { margin: 0 0 20px; padding: 14px 16px 10px; border: 1px solid var(--line); border-radius: 8px; min-width: 0; background: #fff; }
.chart-grid figure.chart { margin: 0; }
figure.chart.wide { grid-column: 1 / -1; }
figcaption { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 12px; margin-bottom: 8px; }
.chart-title { font-weight: 650; overflow-wrap: anywhere; }
.chart-caption { color: var(--muted); font-size: 13px; }
.chart-box { position: relative; height: 280px; width: 100%; }
.chart-box.tall { height: 360px; }
.chart-box canvas { display: block; max-width: 100%; }
.chart-error { color: var(--fail); }
details.numbers { margin-top: 8px; font-size: 13px; }
details.numbers > summary { cursor: pointer; color: var(--accent); user-select: none; }
details.numbers[open] > summary { margin-bottom: 6px; }
.table-wrap { overflow-x: auto; margin: 0 0 12px; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0 6px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: 0.03em; color: var(--muted); font-weight: 600; background: var(--soft); white-space: nowrap; }
td { overflow-wrap: break-word; }
tbody tr:nth-child(even) td { background: #fbfbfc; }
th.num, td.num { text-align: right; white-space: nowrap; }
td.fail { color: var(--fail); font-weight: 600; }
td.warn { color: var(--warn); font-weight: 600; }
ul.notes { margin: 0; padding-left: 20px; }
.mark { font-weight: 700; }
.mark.pass { color: var(--pass); }
.mark.fail { color: var(--fail); }
footer.page-footer { margin-top: 48px; padding-top: 12px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; }
@media (max-width: 700px) {
  .page { padding: 20px 16px 48px; }
  nav.toc { margin: 0 -16px 20px; padding: 8px 16px; }
  .chart-grid { grid-template-columns: 1fr; }
  .verdict { flex-wrap: wrap; }
}
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-size: 10pt; background: #fff; color: #000; }
  .page { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h1 { font-size: 20pt; }
  h2 { font-size: 14pt; break-after: avoid; }
  h3 { break-after: avoid; }
  section.report-section { margin-bottom: 18pt; break-inside: avoid; page-break-inside: avoid; }
  .verdict, .figure-card, figure.chart, .plan, tr, .params { break-inside: avoid; page-break-inside: avoid; }
  .chart-grid { display: block; }
  figure.chart { border: none; padding: 0; margin: 0 0 12pt; }
  .chart-box, .chart-box.tall { height: 62mm; }
  .figures { grid-template-columns: repeat(4, 1fr); gap: 6pt; }
  .figure-value { font-size: 15pt; }
  tbody tr:nth-child(even) td, th { background: #fff; }
  th, td { padding: 3pt 6pt; }
  table { font-size: 8.5pt; }
  .table-wrap { overflow: visible; }
  details > summary { list-style: none; color: var(--muted); }
  details:not([data-print-skip])::details-content { content-visibility: visible; display: block; }
  details[data-print-skip] { display: none; }
  a { color: inherit; text-decoration: none; }
}
`
