import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Customer } from '../domain/records.js'
import { deleteEvent, upsertEvent } from '../sync/change-event.js'
import { DownstreamStore } from './downstream-store.js'

const customer = (id: string, version: number, company = 'Acme'): Customer => ({
  id,
  name: 'Ada',
  email: 'ada@example.com',
  company,
  segment: 'smb',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version,
})

const dir = mkdtempSync(path.join(tmpdir(), 'downstream-store-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('DownstreamStore', () => {
  it('keeps the newest version whatever the order, counting duplicates and late older versions', async () => {
    const { store } = await DownstreamStore.open(undefined)
    const outcomes = await store.apply(
      [
        upsertEvent(customer('c1', 1), 'x'),
        upsertEvent(customer('c1', 3, 'Three'), 'x'),
        upsertEvent(customer('c1', 3, 'Three'), 'x'),
        upsertEvent(customer('c1', 2, 'Two'), 'x'),
      ],
      1_000,
    )
    expect(outcomes).toEqual(['applied', 'applied', 'duplicate', 'superseded'])
    expect(store.get('c1')?.customer?.company).toBe('Three')
    expect(store.versionOf('c1')).toBe(3)
    expect(store.stats()).toMatchObject({ records: 1, received: 4, applied: 2, duplicates: 1, superseded: 1 })
    expect(store.appliedSince(0, 10).items).toEqual([
      ['c1', 1, 1_000],
      ['c1', 3, 1_000],
    ])
  })

  it('a delete tombstone outranks the versions before it, so a late upsert cannot revive the record', async () => {
    const { store } = await DownstreamStore.open(undefined)
    await store.apply([
      upsertEvent(customer('c2', 2), 'x'),
      deleteEvent('c2', 2, 'x'),
      upsertEvent(customer('c2', 2), 'x'),
      upsertEvent(customer('c2', 1), 'x'),
    ])
    expect(store.get('c2')).toMatchObject({ version: 3, deleted: true, customer: null })
  })

  it('with a data file, a restarted store has every change it acknowledged, its counts and its watermark', async () => {
    const file = path.join(dir, 'downstream.aof')
    const first = await DownstreamStore.open(file)
    await first.store.apply([upsertEvent(customer('c3', 1), 'x'), upsertEvent(customer('c3', 1), 'x'), upsertEvent(customer('c4', 5), 'x')], 2_000)
    await first.store.setWatermark('cursor-1')
    await first.store.close()
    const again = await DownstreamStore.open(file)
    expect(again.replayed).toBe(4)
    expect(again.store.versionOf('c3')).toBe(1)
    expect(again.store.versionOf('c4')).toBe(5)
    expect(again.store.watermark).toBe('cursor-1')
    expect(again.store.stats()).toMatchObject({ duplicates: 1, applied: 2 })
    expect(again.store.appliedSince(0, 10).items).toEqual([
      ['c3', 1, 2_000],
      ['c4', 5, 2_000],
    ])
    await again.store.close()
  })
})
