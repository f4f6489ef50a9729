// Data goes into the page as JSON inside <script type="application/json">. The HTML parser ends
// a script element at the first "</script" and treats "<!--" specially, whatever the type, and
// U+2028/U+2029 broke JavaScript string literals before ES2019; escaping "<", ">", "&" and those
// two characters as \u sequences keeps the JSON valid and the element closed where we close it.
// The data is what the page shows (chart labels, table cells), so control and bidi characters in
// its strings become visible escapes first (visible-text.ts).

import { showInvisiblesDeep } from '../visible-text.js'

const UNSAFE = /[<>&\u2028\u2029]/g

/** JSON.stringify whose output can be placed verbatim inside a <script> element. */
export function serializeJsonForHtml(value: unknown): string {
  const json = JSON.stringify(showInvisiblesDeep(value)) ?? 'null'
  return json.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
