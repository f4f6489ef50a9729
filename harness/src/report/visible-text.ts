// Characters that change how the text around them is shown instead of being shown: C0 and C1
// controls (a terminal escape sequence starts with ESC; a carriage return overwrites the line)
// and the Unicode bidirectional controls (an RLO in a scenario name or a server's answer makes
// what follows read backwards: "Trojan Source"). Scenario names, run errors and anything a
// server answered reach every report, so each output format passes its text through here once:
// the HTML (safe-html.ts, inline-json.ts), summary.md, junit.xml and the console. Tab and newline
// stay; the rest become a visible escape like \u202E, which is also valid JSON and JavaScript
// for the same character.

// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]/g

/** `text` with every control and bidi character replaced by its visible \uXXXX escape. */
export function showInvisibles(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)
}

/** `value` with showInvisibles applied to every string in it, object keys included (for data embedded in a page). */
export function showInvisiblesDeep(value: unknown): unknown {
  if (typeof value === 'string') return showInvisibles(value)
  if (Array.isArray(value)) return value.map(showInvisiblesDeep)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [showInvisibles(k), showInvisiblesDeep(v)]))
  }
  return value
}
