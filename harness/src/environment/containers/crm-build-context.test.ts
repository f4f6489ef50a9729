import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { dependencyClosure, importedPackages } from './crm-build-context.js'

describe('the CRM image holds the packages the built service imports, and theirs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-crm-context-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('finds bare imports in the built JavaScript, not built-ins or relative files', () => {
    mkdirSync(path.join(dir, 'api'), { recursive: true })
    writeFileSync(path.join(dir, 'main.js'), "import express from 'express'\nimport { x } from './api/a.js'\nconst m = await import('pg')\n")
    writeFileSync(path.join(dir, 'api', 'a.js'), "import { readFile } from 'node:fs'\nimport { z } from 'zod/v4'\nimport '@scope/pkg/sub'\n")
    writeFileSync(path.join(dir, 'api', 'a.d.ts'), "import type { Foo } from 'types-only'\n")
    // a help text that ends in "from" is not an import
    writeFileSync(path.join(dir, 'api', 'cli.js'), "cmd.option('--pull-from <urls>', 'replica URLs to pull changes from'))\n  .option('--x', 'y')\n")
    expect(importedPackages(dir)).toEqual(['@scope/pkg', 'express', 'pg', 'zod'])
  })

  it('resolves dependencies as Node does: a nested install first, then the hoisted one', () => {
    const lock = {
      packages: {
        '': { dependencies: { a: '1', dev: '1' } },
        'node_modules/a': { version: '1.0.0', dependencies: { b: '^2', c: '1' } },
        'node_modules/a/node_modules/b': { version: '2.0.0' },
        'node_modules/b': { version: '1.0.0' },
        'node_modules/c': { version: '1.0.0', dependencies: { b: '^1' }, optionalDependencies: { 'not-installed': '1' } },
        'node_modules/dev': { version: '1.0.0' },
      },
    }
    expect(dependencyClosure(['a'], lock)).toEqual(['node_modules/a', 'node_modules/a/node_modules/b', 'node_modules/b', 'node_modules/c'])
    expect(() => dependencyClosure(['missing'], lock)).toThrow(/imports missing, which package-lock.json does not install/)
  })
})
