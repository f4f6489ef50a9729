import pg from 'pg'
import { OPEN_DEAL_STAGES, type Activity, type ActivityType, type Contact, type Customer, type Deal, type DealStage, type Segment } from '../domain/records.js'
import { DuplicateCustomerIdError, ShardUnavailableError, UnknownCustomerError } from './shard-errors.js'
import type { CustomerPatch, EmailClaim, SearchPage, SearchPosition, ShardStore } from './shard-store.js'

// One shard in a PostgreSQL database (one database a shard). It must behave exactly like
// MemoryShardStore (the same contract tests run against both), which shapes the schema:
// - Search keys (lower-cased name and email) are stored columns computed in JS, COLLATE "C".
//   Lower-casing in JS and comparing in code-point order is what the memory store and the
//   replica's cross-shard merge do; PostgreSQL's lower() and a linguistic collation would sort
//   differently and break cursor pagination across shards. A C-collated btree also serves
//   `LIKE 'prefix%'` directly, which is what text_pattern_ops would otherwise be needed for.
// - Ids are COLLATE "C" too, since (name_key, id) is the cursor order.
// - Children reference their customer with ON DELETE CASCADE, so deleting a customer removes
//   them atomically and a child for an unknown customer is refused by the foreign key.
// - Under range partitioning the shard's `customers` is a native partition (PARTITION OF) of one
//   table `customers_by_time` PARTITION BY RANGE (id), declared with the ids the replica's range
//   strategy sends to this shard (ids sort by creation time). With every shard a schema of one
//   database (what LoadLab's local topologies start), that table holds every shard's customers,
//   PostgreSQL prunes partitions on id, and refuses a customer routed to the wrong shard.

const CUSTOMER_COLUMNS_DDL = `
  id text COLLATE "C" NOT NULL,
  name text NOT NULL,
  email text NOT NULL,
  company text NOT NULL,
  segment text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL,
  name_key text COLLATE "C" NOT NULL,
  email_key text COLLATE "C" NOT NULL,
  PRIMARY KEY (id)`

/** The shard's customers: a plain table, or the partition of customers_by_time that `bounds` declare. */
function customersTableDdl(bounds: RangeBounds | undefined): string {
  if (bounds === undefined) return `CREATE TABLE IF NOT EXISTS customers (${CUSTOMER_COLUMNS_DDL});`
  const bound = (id: string | null, unbounded: string): string => {
    if (id === null) return unbounded
    if (!/^cus_[0-9a-z]+$/.test(id)) throw new Error(`range bound "${id}" is not a customer id`)
    return `'${id}'`
  }
  // The parent goes in the schema the database creates for everyone (public), so all shards of
  // one database attach to the same one, whatever each shard's search_path is.
  return `CREATE TABLE IF NOT EXISTS public.customers_by_time (${CUSTOMER_COLUMNS_DDL}) PARTITION BY RANGE (id);
CREATE TABLE IF NOT EXISTS customers PARTITION OF public.customers_by_time FOR VALUES FROM (${bound(bounds.from, 'MINVALUE')}) TO (${bound(bounds.to, 'MAXVALUE')});`
}

const SCHEMA = `
CREATE INDEX IF NOT EXISTS customers_name_key_id_idx ON customers (name_key, id);
CREATE INDEX IF NOT EXISTS customers_email_key_idx ON customers (email_key);
CREATE TABLE IF NOT EXISTS email_claims (
  email_key text COLLATE "C" PRIMARY KEY,
  customer_id text COLLATE "C" NOT NULL
);
CREATE TABLE IF NOT EXISTS contacts (
  id text COLLATE "C" PRIMARY KEY,
  customer_id text COLLATE "C" NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  name text NOT NULL,
  email text NOT NULL,
  phone text,
  role text,
  created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS contacts_customer_idx ON contacts (customer_id, created_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS deals (
  id text COLLATE "C" PRIMARY KEY,
  customer_id text COLLATE "C" NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  title text NOT NULL,
  amount double precision NOT NULL,
  currency text NOT NULL,
  stage text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS deals_customer_idx ON deals (customer_id, created_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS activities (
  id text COLLATE "C" PRIMARY KEY,
  customer_id text COLLATE "C" NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  type text NOT NULL,
  at timestamptz NOT NULL,
  note text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS activities_customer_idx ON activities (customer_id, at DESC, id DESC);
`

/** Replicas starting together all run the schema: one at a time, under this advisory lock. */
const SCHEMA_LOCK = 0x10ad1ab

const CUSTOMER_COLUMNS = 'id, name, email, company, segment, created_at, updated_at, version, name_key'

interface CustomerRow {
  id: string
  name: string
  email: string
  company: string
  segment: string
  created_at: Date
  updated_at: Date
  version: number
}

const toCustomer = (r: CustomerRow): Customer => ({
  id: r.id,
  name: r.name,
  email: r.email,
  company: r.company,
  segment: r.segment as Segment,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  version: r.version,
})

/** `LIKE` pattern for "starts with `prefix`": the prefix's own %, _ and \ match literally. */
const startsWithPattern = (prefix: string): string => `${prefix.replace(/[\\%_]/g, '\\$&')}%`

/** The customer ids a shard holds under range partitioning, [from, to); null = unbounded. */
export interface RangeBounds {
  from: string | null
  to: string | null
}

export interface PostgresShardStoreOptions {
  /** Connections per shard database (default 10). */
  maxConnections?: number
  /** Range partitioning: declare the shard's customers as a native range partition with these bounds. */
  rangeBounds?: RangeBounds
}

export class PostgresShardStore implements ShardStore {
  /** The URL without its password, for messages. */
  readonly url: string
  private readonly pool: pg.Pool
  private readonly schema: string

  /** Called once per shard when a replica starts with `--store postgres`; connects lazily (init() does the first). */
  constructor(url: string, options: PostgresShardStoreOptions = {}) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new Error(`shard address "${url}" is not a URL: use one such as postgres://user@127.0.0.1:5432/shard0 (--shards with --store postgres)`)
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new Error(`shard address "${url}" must be a postgres:// URL for --store postgres (http:// shard servers need --store embedded)`)
    }
    if (parsed.password) parsed.password = '***'
    this.url = parsed.toString()
    this.schema = customersTableDdl(options.rangeBounds) + SCHEMA
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: 10_000,
    })
    // An idle connection dropped by the server (restart, failover test) is reported here; without
    // a listener it would crash the replica. The next query simply gets a new connection.
    this.pool.on('error', () => undefined)
  }

  async init(): Promise<void> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw this.unavailable('init', error)
    })
    try {
      await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK])
      try {
        await client.query(this.schema)
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK])
      }
    } catch (error) {
      throw this.unavailable('init', error)
    } finally {
      client.release()
    }
  }

  async close(): Promise<void> {
    await this.pool.end()
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1')
      return true
    } catch {
      return false
    }
  }

  async claimEmail(email: string, customerId: string): Promise<string | null> {
    const key = email.toLowerCase()
    // Insert-or-read in one statement. If a concurrent claim of the same email committed after
    // our snapshot, neither part sees a row: ask again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const { rows } = await this.query<{ customer_id: string }>(
        'claimEmail',
        `WITH ins AS (
           INSERT INTO email_claims (email_key, customer_id) VALUES ($1, $2) ON CONFLICT (email_key) DO NOTHING RETURNING customer_id
         )
         SELECT customer_id FROM ins UNION ALL SELECT customer_id FROM email_claims WHERE email_key = $1 LIMIT 1`,
        [key, customerId],
      )
      const [row] = rows
      if (row !== undefined) return row.customer_id === customerId ? null : row.customer_id
    }
    throw new ShardUnavailableError(this.url, `claimEmail could not settle the claim on ${email} under contention`)
  }

  async claimEmails(claims: EmailClaim[]): Promise<(string | null)[]> {
    if (claims.length === 0) return []
    const keys = claims.map((c) => c.email.toLowerCase())
    // unnest keeps array order, and DO NOTHING skips a row conflicting with one inserted earlier
    // in the same statement: the first claim of an email in the batch wins, as in memory.
    await this.query(
      'claimEmails',
      `INSERT INTO email_claims (email_key, customer_id)
       SELECT k, c FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(k, c, n) ORDER BY n
       ON CONFLICT (email_key) DO NOTHING`,
      [keys, claims.map((c) => c.customerId)],
    )
    const { rows } = await this.query<{ email_key: string; customer_id: string }>(
      'claimEmails',
      'SELECT email_key, customer_id FROM email_claims WHERE email_key = ANY($1::text[])',
      [keys],
    )
    const holders = new Map(rows.map((r) => [r.email_key, r.customer_id]))
    const result: (string | null)[] = []
    for (const [i, claim] of claims.entries()) {
      const holder = holders.get(keys[i]!)
      // Released by someone else between the two statements: settle that one on its own.
      if (holder === undefined) result.push(await this.claimEmail(claim.email, claim.customerId))
      else result.push(holder === claim.customerId ? null : holder)
    }
    return result
  }

  async releaseEmail(email: string, customerId: string): Promise<void> {
    await this.query('releaseEmail', 'DELETE FROM email_claims WHERE email_key = $1 AND customer_id = $2', [email.toLowerCase(), customerId])
  }

  async insertCustomer(c: Customer): Promise<void> {
    await this.insertCustomers([c])
  }

  async insertCustomers(cs: Customer[]): Promise<void> {
    if (cs.length === 0) return
    // One statement with array parameters: a whole seeding batch in one round trip, atomically.
    await this.query(
      'insertCustomers',
      `INSERT INTO customers (id, name, email, company, segment, created_at, updated_at, version, name_key, email_key)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::int[], $9::text[], $10::text[])`,
      [
        cs.map((c) => c.id),
        cs.map((c) => c.name),
        cs.map((c) => c.email),
        cs.map((c) => c.company),
        cs.map((c) => c.segment),
        cs.map((c) => c.createdAt),
        cs.map((c) => c.updatedAt),
        cs.map((c) => c.version),
        cs.map((c) => c.name.toLowerCase()),
        cs.map((c) => c.email.toLowerCase()),
      ],
    )
  }

  async getCustomer(id: string): Promise<Customer | null> {
    const { rows } = await this.query<CustomerRow>('getCustomer', `SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE id = $1`, [id])
    const [row] = rows
    return row === undefined ? null : toCustomer(row)
  }

  async updateCustomer(id: string, patch: CustomerPatch, now: string): Promise<Customer | null> {
    // One UPDATE ... RETURNING: the version bump is atomic, concurrent updates each count.
    const { rows } = await this.query<CustomerRow>(
      'updateCustomer',
      `UPDATE customers SET
         name = COALESCE($2, name), email = COALESCE($3, email), company = COALESCE($4, company), segment = COALESCE($5, segment),
         name_key = COALESCE($6, name_key), email_key = COALESCE($7, email_key), updated_at = $8, version = version + 1
       WHERE id = $1 RETURNING ${CUSTOMER_COLUMNS}`,
      [
        id,
        patch.name ?? null,
        patch.email ?? null,
        patch.company ?? null,
        patch.segment ?? null,
        patch.name?.toLowerCase() ?? null,
        patch.email?.toLowerCase() ?? null,
        now,
      ],
    )
    const [row] = rows
    return row === undefined ? null : toCustomer(row)
  }

  async deleteCustomer(id: string): Promise<boolean> {
    const { rowCount } = await this.query('deleteCustomer', 'DELETE FROM customers WHERE id = $1', [id])
    return (rowCount ?? 0) > 0
  }

  /**
   * Name matches come straight off the (name_key, id) index in order; email matches come off the
   * email index and are sorted (top-N). Two branches rather than one OR so the planner can use an
   * index for each; UNION drops customers matching both ways.
   */
  async searchCustomers(prefix: string, limit: number, after: SearchPosition | null): Promise<SearchPage> {
    if (limit <= 0) return { items: [] }
    const p = prefix.toLowerCase()
    const pattern = startsWithPattern(p)
    const afterClause = after === null ? '' : `AND (name_key, id) > ($3 COLLATE "C", $4 COLLATE "C")`
    const params: unknown[] = [pattern, limit, ...(after === null ? [] : [after.nameKey, after.id])]
    const byName = `SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE name_key LIKE $1 ${afterClause} ORDER BY name_key, id LIMIT $2`
    const byEmail = `SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE email_key LIKE $1 ${afterClause} ORDER BY name_key, id LIMIT $2`
    // With an empty prefix every name matches: the email branch has nothing to add.
    const sql = p === '' ? byName : `(${byName}) UNION (${byEmail}) ORDER BY name_key, id LIMIT $2`
    const { rows } = await this.query<CustomerRow>('searchCustomers', sql, params)
    return { items: rows.map(toCustomer) }
  }

  async countCustomers(): Promise<number> {
    const { rows } = await this.query<{ n: number }>('countCustomers', 'SELECT count(*)::int AS n FROM customers', [])
    // count(*) without GROUP BY answers exactly one row.
    return rows[0]!.n
  }

  async insertContact(c: Contact): Promise<void> {
    await this.query(
      'insertContact',
      'INSERT INTO contacts (id, customer_id, name, email, phone, role, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [c.id, c.customerId, c.name, c.email, c.phone, c.role, c.createdAt],
      c.customerId,
    )
  }

  async listContacts(customerId: string, limit: number): Promise<Contact[]> {
    const { rows } = await this.query<{
      id: string
      customer_id: string
      name: string
      email: string
      phone: string | null
      role: string | null
      created_at: Date
    }>(
      'listContacts',
      'SELECT id, customer_id, name, email, phone, role, created_at FROM contacts WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
      [customerId, limit],
    )
    return rows.map((r) => ({
      id: r.id,
      customerId: r.customer_id,
      name: r.name,
      email: r.email,
      phone: r.phone,
      role: r.role,
      createdAt: r.created_at.toISOString(),
    }))
  }

  async insertDeal(d: Deal): Promise<void> {
    await this.query(
      'insertDeal',
      'INSERT INTO deals (id, customer_id, title, amount, currency, stage, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [d.id, d.customerId, d.title, d.amount, d.currency, d.stage, d.createdAt, d.updatedAt],
      d.customerId,
    )
  }

  async listDeals(customerId: string, limit: number, openOnly: boolean): Promise<Deal[]> {
    const { rows } = await this.query<{
      id: string
      customer_id: string
      title: string
      amount: number
      currency: string
      stage: string
      created_at: Date
      updated_at: Date
    }>(
      'listDeals',
      `SELECT id, customer_id, title, amount, currency, stage, created_at, updated_at FROM deals
       WHERE customer_id = $1 ${openOnly ? 'AND stage = ANY($3::text[])' : ''} ORDER BY created_at DESC, id DESC LIMIT $2`,
      openOnly ? [customerId, limit, OPEN_DEAL_STAGES] : [customerId, limit],
    )
    return rows.map((r) => ({
      id: r.id,
      customerId: r.customer_id,
      title: r.title,
      amount: r.amount,
      currency: r.currency,
      stage: r.stage as DealStage,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    }))
  }

  async insertActivity(a: Activity): Promise<void> {
    await this.query(
      'insertActivity',
      'INSERT INTO activities (id, customer_id, type, at, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [a.id, a.customerId, a.type, a.at, a.note, a.createdAt],
      a.customerId,
    )
  }

  async listActivities(customerId: string, limit: number): Promise<Activity[]> {
    const { rows } = await this.query<{ id: string; customer_id: string; type: string; at: Date; note: string; created_at: Date }>(
      'listActivities',
      'SELECT id, customer_id, type, at, note, created_at FROM activities WHERE customer_id = $1 ORDER BY at DESC, id DESC LIMIT $2',
      [customerId, limit],
    )
    return rows.map((r) => ({
      id: r.id,
      customerId: r.customer_id,
      type: r.type as ActivityType,
      at: r.at.toISOString(),
      note: r.note,
      createdAt: r.created_at.toISOString(),
    }))
  }

  /** Every statement goes through here, so errors mean the same as from the other stores. */
  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    op: string,
    sql: string,
    params: unknown[],
    childOf?: string,
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (code === '23505' && op === 'insertCustomers') {
        const id = /\(id\)=\(([^)]*)\)/.exec((error as { detail?: string }).detail ?? '')?.[1] ?? '?'
        throw new DuplicateCustomerIdError(id)
      }
      if (code === '23503' && childOf !== undefined) throw new UnknownCustomerError(childOf)
      throw this.unavailable(op, error)
    }
  }

  private unavailable(op: string, error: unknown): ShardUnavailableError {
    const message = error instanceof Error ? error.message || String((error as { code?: unknown }).code ?? error) : String(error)
    return new ShardUnavailableError(this.url, `${op} failed: ${message}`, { cause: error })
  }
}
