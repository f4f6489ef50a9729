import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runReport } from '../src/cli/report-command.js'
import { makeRichSuite } from './support/report-fixture.js'

const quietIo = { out: () => {}, err: () => {} }

describe('loadlab report', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'loadlab-report-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('renders index.html beside results.json, or into --out', async () => {
    const file = path.join(dir, 'results.json')
    await writeFile(file, JSON.stringify(makeRichSuite()))
    const page = await runReport(file, undefined, quietIo)
    expect(page).toBe(path.join(dir, 'index.html'))
    expect(await readFile(page, 'utf8')).toContain('cache-strategies')
    const elsewhere = await runReport(file, path.join(dir, 'out'), quietIo)
    expect(elsewhere).toBe(path.join(dir, 'out', 'index.html'))
  })

  it('refuses an unreadable or invalid file with exit code 2 and a message naming it', async () => {
    const missing = path.join(dir, 'nope.json')
    await expect(runReport(missing, undefined, quietIo)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('nope.json') })
    const bad = path.join(dir, 'bad.json')
    await writeFile(bad, '{"hello": 1}')
    await expect(runReport(bad, undefined, quietIo)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('bad.json') })
    const broken = path.join(dir, 'broken.json')
    await writeFile(broken, '{"runs": [')
    await expect(runReport(broken, undefined, quietIo)).rejects.toMatchObject({ exitCode: 2 })
  })
})
