import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chown, mkdir, mkdtemp, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { EnvironmentError } from './environment.js'
import { runningAsRoot, withParentDeathSignal, type RunAs } from './parent-death.js'

// The PostgreSQL cluster of a local topology with `store: 'postgres'`: initdb into the run folder,
// one server on 127.0.0.1 (no unix socket), one database `crm` with a schema per shard, removed
// when the topology stops. PostgreSQL refuses to run as root, so under root every PostgreSQL
// program runs as the `postgres` user Debian's package creates. Host connections need a password,
// generated per start and handed to the replicas as PGPASSWORD (never on a command line).

const run = promisify(execFile)
const POSTGRES_USER = 'postgres'
const DATABASE = 'crm'
/** Connections each replica's pool may open per shard (PostgresShardStore's default). */
const POOL_PER_SHARD = 10
const INSTALL_HINT = 'install PostgreSQL with `apt-get install postgresql` (.ci/install-deps does this)'

export interface LocalPostgres {
  /** The `postgres` server command and its arguments for a port. */
  command: string
  args(port: number): string[]
  /** The user it must run as (root only). */
  runAs: RunAs | undefined
  /** Its data directory (it appears in the server's command line). */
  dataDir: string
  /** The password replicas connect with (their PGPASSWORD). */
  password: string
  /** Called once the server is ready: creates the database and one schema per shard; returns the shard URLs (no password in them). */
  createShards(port: number, shards: number): Promise<string[]>
  /** Deletes the cluster's files (after the server stopped). */
  remove(): Promise<void>
}

export interface LocalPostgresOptions {
  /** The run folder's member-log folder; the cluster goes in <dir>/postgres when the postgres user can write there. */
  dir: string
  /** Every replica and shard connection together: sets max_connections. */
  replicas: number
  shards: number
  /** false: fsync and synchronous commit off (like an embedded store without durability); true: PostgreSQL's defaults. */
  durable: boolean
}

/** Runs initdb; rejects with an EnvironmentError naming what to install or fix. */
export async function initLocalPostgres(o: LocalPostgresOptions): Promise<LocalPostgres> {
  const bin = await findPostgresBinDir()
  const asRoot = runningAsRoot()
  const runAs = asRoot ? { user: POSTGRES_USER, group: POSTGRES_USER } : undefined
  if (asRoot)
    await run('id', ['-u', POSTGRES_USER]).catch(() => {
      throw new EnvironmentError(`store "postgres": running as root, and there is no "${POSTGRES_USER}" user to run PostgreSQL as: ${INSTALL_HINT}`)
    })
  const clusterDir = await clusterFolder(o.dir, runAs)
  const data = path.join(clusterDir, 'data')
  const password = randomBytes(24).toString('base64url')
  const pwFile = path.join(clusterDir, 'initdb-password')
  await writeFile(pwFile, password, { mode: 0o600 })
  if (runAs) await chownToPostgres(pwFile)
  const initdb = withParentDeathSignal(
    path.join(bin, 'initdb'),
    [
      '-D',
      data,
      '-U',
      POSTGRES_USER,
      `--pwfile=${pwFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=peer',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ],
    'SIGKILL',
    runAs,
  )
  try {
    await run(initdb.command, initdb.args, { timeout: 120_000 })
  } catch (error) {
    await rm(clusterDir, { recursive: true, force: true })
    const stderr = (error as { stderr?: string }).stderr ?? (error as Error).message
    throw new EnvironmentError(`store "postgres": initdb failed in ${data}:\n${stderr.trim().slice(-1500)}`)
  } finally {
    await rm(pwFile, { force: true })
  }
  const maxConnections = o.replicas * o.shards * POOL_PER_SHARD + 10
  const durability = o.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
  return {
    command: path.join(bin, 'postgres'),
    args: (port) => [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      `max_connections=${maxConnections}`,
      ...durability,
    ],
    runAs,
    dataDir: data,
    password,
    async createShards(port, shards) {
      const url = (db: string): string => `postgres://${POSTGRES_USER}@127.0.0.1:${port}/${db}`
      // The harness's own connections carry the password in the URL (in-process only): pg lets a
      // URL's empty password win over a `password` option.
      const withPassword = (db: string): string => `postgres://${POSTGRES_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`
      await withClient(withPassword('postgres'), (c) => c.query(`CREATE DATABASE ${DATABASE}`))
      const schemas = Array.from({ length: shards }, (_, i) => `shard_${i}`)
      await withClient(withPassword(DATABASE), (c) => c.query(schemas.map((s) => `CREATE SCHEMA ${s};`).join('\n')))
      // search_path per connection: each shard's store sees only its own schema's tables.
      return schemas.map((s) => `${url(DATABASE)}?options=${encodeURIComponent(`-c search_path=${s}`)}`)
    },
    remove: () => rm(clusterDir, { recursive: true, force: true }),
  }
}

async function withClient<T>(connectionString: string, use: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 })
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

/**
 * <dir>/postgres, owned by the postgres user under root. When that user cannot reach the run
 * folder (a run folder under /root, say), a private temporary folder instead; removed the same way.
 */
async function clusterFolder(dir: string, runAs: RunAs | undefined): Promise<string> {
  const inRunFolder = path.join(dir, 'postgres')
  await rm(inRunFolder, { recursive: true, force: true }) // a new topology starts empty
  await mkdir(inRunFolder, { recursive: true })
  if (!runAs) return inRunFolder
  await chownToPostgres(inRunFolder)
  const probe = withParentDeathSignal('test', ['-w', inRunFolder, '-a', '-x', inRunFolder], 'SIGKILL', runAs)
  if (
    await run(probe.command, probe.args).then(
      () => true,
      () => false,
    )
  )
    return inRunFolder
  await rm(inRunFolder, { recursive: true, force: true })
  const elsewhere = await mkdtemp(path.join(tmpdir(), 'loadlab-postgres-'))
  await chownToPostgres(elsewhere)
  return elsewhere
}

async function chownToPostgres(file: string): Promise<void> {
  const uid = Number((await run('id', ['-u', POSTGRES_USER])).stdout.trim())
  const gid = Number((await run('id', ['-g', POSTGRES_USER])).stdout.trim())
  await chown(file, uid, gid)
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  )
}

/** The folder with initdb and postgres: on PATH, else Debian's /usr/lib/postgresql/<newest>/bin. */
export async function findPostgresBinDir(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    if (!(await isFile(path.join(dir, 'initdb')))) continue
    // A symlink on PATH (Debian's postgresql-common): initdb finds postgres beside its real file.
    const real = path.dirname(await realpath(path.join(dir, 'initdb')))
    if (await isFile(path.join(real, 'postgres'))) return real
  }
  const root = '/usr/lib/postgresql'
  const versions = (await readdir(root).catch(() => [] as string[])).sort((a, b) => Number(b) - Number(a))
  for (const v of versions) {
    const dir = path.join(root, v, 'bin')
    if ((await isFile(path.join(dir, 'initdb'))) && (await isFile(path.join(dir, 'postgres')))) return dir
  }
  throw new EnvironmentError(`store "postgres": PostgreSQL's initdb and postgres were not found on PATH or in /usr/lib/postgresql/*/bin: ${INSTALL_HINT}`)
}
