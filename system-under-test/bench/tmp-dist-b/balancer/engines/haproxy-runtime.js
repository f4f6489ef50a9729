import { connect } from 'node:net';
/**
 * Sends one command to HAProxy's runtime API (the admin-level stats socket in the generated
 * config) and resolves with its answer. Used for `show stat`, drain and weight changes.
 */
export function haproxyCommand(socketPath, command, timeoutMs = 2000) {
    return new Promise((resolve, reject) => {
        const socket = connect(socketPath);
        let answer = '';
        socket.setEncoding('utf8');
        socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`HAProxy runtime API did not answer "${command}" within ${timeoutMs} ms`)));
        socket.on('data', (chunk) => (answer += chunk));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
        socket.write(`${command}\n`);
    });
}
/** Parses `show stat` CSV (header line starts with `# `); proxies' FRONTEND/BACKEND rows are skipped. */
export function parseHaproxyStats(csv) {
    const lines = csv.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0 || !lines[0].startsWith('# '))
        throw new Error(`unexpected HAProxy stats answer: ${csv.slice(0, 200)}`);
    const header = lines[0].slice(2).split(',');
    const col = (name) => header.indexOf(name);
    const num = (row, name) => Number(row[col(name)] || 0);
    return lines
        .slice(1)
        .map((line) => line.split(','))
        .filter((row) => row[1] !== 'FRONTEND' && row[1] !== 'BACKEND')
        .map((row) => ({
        proxy: row[col('pxname')],
        server: row[col('svname')],
        status: row[col('status')],
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
    }));
}
//# sourceMappingURL=haproxy-runtime.js.map