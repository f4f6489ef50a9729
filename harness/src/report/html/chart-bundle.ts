import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

// The report must open offline from disk, so chart.js is inlined instead of linked from a CDN.
// chart.js's package "exports" map does not expose dist/chart.umd.js, so resolve the package
// entry point and take the UMD bundle from the same folder.

const require = createRequire(import.meta.url)
let cached: string | undefined

/** The chart.js UMD bundle's source, ready to inline in a <script> element (read once per process). */
export function readChartJsBundle(): string {
  if (cached !== undefined) return cached
  const entry = require.resolve('chart.js') // .../chart.js/dist/chart.cjs
  const file = join(dirname(entry), 'chart.umd.js')
  let source: string
  try {
    source = readFileSync(file, 'utf8')
  } catch (error) {
    throw new Error(`cannot read the chart.js bundle at ${file} (${(error as Error).message}); reinstall dependencies with "npm ci"`)
  }
  // A literal "</script" would end the inline element early; "<\/script" means the same in JS.
  cached = source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--')
  return cached
}
