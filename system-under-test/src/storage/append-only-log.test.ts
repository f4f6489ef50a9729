import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigurationError } from '../config/configuration-error.js'
import { AppendOnlyLog } from './append-only-log.js'
import { LoggedShardStore } from './logged-shard-store.js'

const dirs: string[] = []
function tempFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-aof-'))
  dirs.push(dir)
  return path.join(dir, 'shard.aof')
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const customer = (id: string, email: string) => ({
  id,
  name: 'N',
  email,
  company: 'C',
  segment: 'smb' as const,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  version: 1,
})

describe('AppendOnlyLog', () => {
  for (const durability of ['everysec', 'always'] as const) {
    it(`${durability}: keeps every entry, in append order, across many concurrent appends, and replays them`, async () => {
      const file = tempFile()
      const { log, entries } = await AppendOnlyLog.open(file, durability)
      expect(entries).toEqual([])
      // Appends from many "requests" at once: some in this turn, some while a batch is being written.
      const first = Array.from({ length: 100 }, (_, i) => log.append({ n: i }))
      await first[0]
      const second = Array.from({ length: 100 }, (_, i) => log.append({ n: 100 + i }))
      await Promise.all([...first, ...second])
      // Everything acknowledged is in the file already, before close.
      expect(
        readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { n: number }).n),
      ).toEqual(Array.from({ length: 200 }, (_, i) => i))
      await log.close()
      const reopened = await AppendOnlyLog.open(file, durability)
      expect(reopened.entries).toHaveLength(200)
      await reopened.log.close()
    })
  }

  it('cuts off an incomplete last line (a write a crash interrupted) and keeps the rest', async () => {
    const file = tempFile()
    writeFileSync(file, '{"n":1}\n{"n":2}\n{"n":')
    const { log, entries, truncatedBytes } = await AppendOnlyLog.open(file, 'always')
    expect(entries).toEqual([{ n: 1 }, { n: 2 }])
    expect(truncatedBytes).toBe(5)
    await log.append({ n: 3 })
    await log.close()
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n')
  })

  it('refuses a log damaged before its last line, naming the file and the line', async () => {
    const file = tempFile()
    writeFileSync(file, '{"n":1}\nnot json\n{"n":3}\n')
    const opened = AppendOnlyLog.open(file, 'always')
    await expect(opened).rejects.toBeInstanceOf(ConfigurationError)
    await expect(opened).rejects.toThrow(`${file} is damaged at line 2`)
  })

  it('a barrier waits for the entries appended before it', async () => {
    const { log } = await AppendOnlyLog.open(tempFile(), 'always')
    const order: string[] = []
    const write = log.append({ n: 1 }).then(() => order.push('append'))
    const barrier = log.barrier().then(() => order.push('barrier'))
    await Promise.all([write, barrier])
    expect(order).toEqual(['append', 'barrier'])
    await log.close()
  })
})

describe('LoggedShardStore', () => {
  it('answers a change only once its entry is in the file (what the shard server acknowledges is on file)', async () => {
    const file = tempFile()
    const store = new LoggedShardStore(file, 'everysec')
    await store.init()
    const entries = () =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { op: string })
    await store.insertCustomer(customer('cus_a', 'a@x.io'))
    expect(entries().map((e) => e.op)).toEqual(['insertCustomer'])
    await store.updateCustomer('cus_a', { company: 'New' }, '2025-02-01T00:00:00.000Z')
    expect(entries().map((e) => e.op)).toEqual(['insertCustomer', 'updateCustomer'])
    await Promise.all([store.releaseEmail('a@x.io', 'cus_a'), store.deleteCustomer('cus_a')])
    expect(entries()).toHaveLength(4)
    await store.close()
  })

  it('rebuilds the same shard from its log: customers, versions, claims, children, deletes', async () => {
    const file = tempFile()
    const store = new LoggedShardStore(file, 'always')
    await store.init()
    expect(await store.claimEmail('a@x.io', 'cus_a')).toBeNull()
    await store.insertCustomer(customer('cus_a', 'a@x.io'))
    await store.insertCustomers([customer('cus_b', 'b@x.io'), customer('cus_c', 'c@x.io')])
    await store.updateCustomer('cus_a', { company: 'New' }, '2025-02-01T00:00:00.000Z')
    await store.updateCustomer('cus_a', { name: 'Newer' }, '2025-03-01T00:00:00.000Z')
    await store.insertActivity({
      id: 'act_1',
      customerId: 'cus_b',
      type: 'call',
      at: '2025-01-02T00:00:00.000Z',
      note: '',
      createdAt: '2025-01-02T00:00:00.000Z',
    })
    await store.deleteCustomer('cus_c')
    // Calls that change nothing are not logged.
    expect(await store.updateCustomer('cus_missing', { name: 'x' }, '2025-01-01T00:00:00.000Z')).toBeNull()
    await store.close()

    const replayed = new LoggedShardStore(file, 'always')
    await replayed.init()
    expect(replayed.replayed).toBe(7)
    expect(await replayed.getCustomer('cus_a')).toMatchObject({ version: 3, company: 'New', name: 'Newer' })
    expect(await replayed.getCustomer('cus_c')).toBeNull()
    expect(await replayed.countCustomers()).toBe(2)
    expect(await replayed.listActivities('cus_b', 10)).toHaveLength(1)
    expect(await replayed.claimEmail('A@x.io', 'cus_other')).toBe('cus_a')
    await replayed.close()
  })
})
