import { connect } from 'node:net'

/**
 * Sends one command to HAProxy's runtime API (the admin-level stats socket in the generated
 * config) and resolves with its answer. Used for `show stat`, drain and weight changes.
 */
export function haproxyCommand(socketPath: string, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    let answer = ''
    socket.setEncoding('utf8')
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`HAProxy runtime API did not answer "${command}" within ${timeoutMs} ms`)))
    socket.on('data', (chunk: string) => (answer += chunk))
    socket.on('end', () => resolve(answer))
    socket.on('error', reject)
    socket.write(`${command}\n`)
  })
}

/** One server row of `show stat`, the fields LoadLab uses. */
export interface HaproxyServerStats {
  proxy: string
  server: string
  status: string
  weight: number
  current: number
  requests: number
  connectErrors: number
  responseErrors: number
  http5xx: number
  retries: number
  redispatches: number
  downTransitions: number
  /** Seconds since the last request was sent to this server; null if never. */
  secondsSinceLastSession: number | null
  /** Seconds since the server's status last changed. */
  secondsSinceStatusChange: number
}

/** Parses `show stat` CSV (header line starts with `# `); proxies' FRONTEND/BACKEND rows are skipped. */
export function parseHaproxyStats(csv: string): HaproxyServerStats[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '')
  const [headerLine] = lines
  if (headerLine === undefined || !headerLine.startsWith('# ')) throw new Error(`unexpected HAProxy stats answer: ${csv.slice(0, 200)}`)
  const header = headerLine.slice(2).split(',')
  const col = (name: string) => header.indexOf(name)
  const text = (row: string[], name: string) => row[col(name)] ?? ''
  const num = (row: string[], name: string) => Number(row[col(name)] || 0)
  return lines
    .slice(1)
    .map((line) => line.split(','))
    .filter((row) => row[1] !== 'FRONTEND' && row[1] !== 'BACKEND')
    .map((row) => ({
      proxy: text(row, 'pxname'),
      server: text(row, 'svname'),
      status: text(row, 'status'),
      weight: num(row, 'weight'),
      current: num(row, 'scur'),
      requests: num(row, 'req_tot') || num(row, 'stot'),
      connectErrors: num(row, 'econ'),
      responseErrors: num(row, 'eresp'),
      http5xx: num(row, 'hrsp_5xx'),
      retries: num(row, 'wretr'),
      redispatches: num(row, 'wredis'),
      downTransitions: num(row, 'chkdown'),
      secondsSinceLastSession: (row[col('lastsess')] ?? '') === '' || Number(row[col('lastsess')]) < 0 ? null : Number(row[col('lastsess')]),
      secondsSinceStatusChange: num(row, 'lastchg'),
    }))
}
