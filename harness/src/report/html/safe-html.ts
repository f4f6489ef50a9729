// Every piece of text on the report page goes through this module. Interpolating into `html`
// escapes by default, so forgetting to escape a scenario name, a run error or a note is not
// possible; only markup this code itself builds is wrapped as SafeHtml. Control and bidi
// characters in text are shown as escapes (visible-text.ts).

import { showInvisibles } from '../visible-text.js'

/** Markup that is already safe to place in the page (built by `html` or `rawHtml`). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

/** What `html` accepts: text (escaped), numbers (non-finite ones show as an em dash), markup, lists of these. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[]

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!)
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return value.map((v: HtmlValue) => render(v)).join('')
  // Absent values render as nothing so the page never says "undefined", "null" or "false".
  if (value === null || value === undefined || value === false || value === true) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '—'
  return escapeHtml(showInvisibles(String(value)))
}

/** Tagged template: `html\`<td>${text}</td>\`` escapes `text`; nested `html` results stay markup. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]
  return new SafeHtml(out)
}

/** Trusted markup produced by this module's callers (CSS, the chart bundle); never user text. */
export function rawHtml(markup: string): SafeHtml {
  return new SafeHtml(markup)
}

/** Joins fragments, skipping absent ones (sections without data return null). */
export function joinHtml(parts: readonly HtmlValue[], separator = ''): SafeHtml {
  return new SafeHtml(
    parts
      .map(render)
      .filter((p) => p !== '')
      .join(separator),
  )
}
