import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// The shipped GitHub Actions example is documentation users copy: check it still does what the
// issue promises (no YAML parser is a declared dependency, so the checks read the text).
const text = readFileSync(new URL('../examples/github-actions-performance-gate.yml', import.meta.url), 'utf8')

describe('examples/github-actions-performance-gate.yml', () => {
  it('checks out, sets up Node 20 and installs with npm ci', () => {
    expect(text).toMatch(/uses: actions\/checkout@v4/)
    expect(text).toMatch(/uses: actions\/setup-node@v4\s+with:\s+node-version: 20/)
    expect(text).toMatch(/run: npm ci/)
  })

  it('runs a scenario quickly against a baseline', () => {
    expect(text).toMatch(/npx loadlab run "\$SCENARIO" --quick --out "\$REPORT_DIR" \$BASELINE_FLAGS/)
    expect(text).toMatch(/BASELINE_FLAGS="--baseline baseline\/results.json --tolerance 0.05"/)
    expect(text).toMatch(/SCENARIO: scenarios\/[\w-]+\.ts/)
  })

  it('publishes the reports and the summary even when the gate fails', () => {
    expect(text).toMatch(/if: always\(\)\s+uses: actions\/upload-artifact@v4\s+with:\s+name: [^\n]+\s+path: reports\//)
    expect(text).toMatch(/cat "\$REPORT_DIR\/summary.md" >> "\$GITHUB_STEP_SUMMARY"/)
  })

  it('fails the job on exit 99', () => {
    expect(text).toMatch(/99\) echo "::error title=Performance gate failed::[^"]*"; exit 99 ;;/)
  })

  it('uses spaces only (tabs break YAML)', () => {
    expect(text).not.toMatch(/\t/)
  })
})
