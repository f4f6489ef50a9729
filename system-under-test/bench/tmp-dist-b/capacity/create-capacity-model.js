// The emulated capacity of one process. A request first waits (FIFO) for one of `slots`, then
// "works" for its service time while holding the slot, then runs its real handler and gives the
// slot back through release(). Holding the slot until the response is done (not only during the
// emulated work) is deliberate: a slow store or a slow client also occupies the server, as it
// would in a thread-per-request server.
export const DEFAULT_CAPACITY = Object.freeze({
    serviceTime: Object.freeze({ kind: 'off' }),
    slots: 8,
    queueLimit: 64,
    slowdown: 1,
});
const SERVICE_TIME_FORMS = '`off`, `constant:<ms>` or `exp:<ms>` (for example constant:5 or exp:2.5)';
/**
 * Parses the `--service-time` flag. Called once at start-up by the shard and replica CLIs; a bad
 * value throws an Error that names the value and the accepted forms (the CLI exits 2 with it).
 */
export function parseServiceTime(text) {
    const trimmed = text.trim();
    if (trimmed === 'off')
        return { kind: 'off' };
    const match = /^(constant|exp):(.+)$/.exec(trimmed);
    const ms = match ? Number(match[2]) : Number.NaN;
    if (!match || !Number.isFinite(ms) || ms < 0) {
        throw new Error(`--service-time "${text}" is not valid: use ${SERVICE_TIME_FORMS}, with <ms> a number of milliseconds >= 0`);
    }
    return match[1] === 'constant' ? { kind: 'constant', ms } : { kind: 'exponential', meanMs: ms };
}
/**
 * Builds the capacity model of one process. Called once at start-up by the shard and replica
 * CLIs (and by tests). Throws an Error naming the bad option when slots/queueLimit/slowdown are
 * out of range.
 */
export function createCapacityModel(o, deps = {}) {
    if (!Number.isInteger(o.slots) || o.slots < 1) {
        throw new Error(`--slots ${o.slots} is not valid: use a whole number >= 1`);
    }
    if (!Number.isInteger(o.queueLimit) || o.queueLimit < 0) {
        throw new Error(`--queue-limit ${o.queueLimit} is not valid: use a whole number >= 0`);
    }
    checkSlowdown(o.slowdown);
    const random = deps.random ?? Math.random;
    const serviceTime = o.serviceTime;
    let slowdown = o.slowdown;
    let inService = 0;
    let rejected = 0;
    let served = 0;
    let abandoned = 0;
    // FIFO queue as an array with a moving head: O(1) shift without Array#shift's copying.
    let queue = [];
    let head = 0;
    let queuedNow = 0;
    const stats = () => ({ inService, queued: queuedNow, rejected, served, abandoned });
    const setSlowdown = (factor) => {
        checkSlowdown(factor);
        slowdown = factor;
    };
    if (serviceTime.kind === 'off') {
        // Full speed: no slots, no queue, no timers. The counters still move so /metrics shows load.
        const admitFree = () => {
            inService++;
            let released = false;
            return Promise.resolve(() => {
                if (released)
                    return;
                released = true;
                inService--;
                served++;
            });
        };
        return { admit: admitFree, setSlowdown, stats };
    }
    // Node timers fire after at least 1 ms, so a sampled time in (0, 1) ms takes about 1 ms: keep
    // means well above 1 ms (a few ms and up) when the exact distribution matters.
    const sampleMs = () => {
        const base = serviceTime.kind === 'constant'
            ? serviceTime.ms
            : // Inverse-CDF sampling; 1 - u keeps the argument of log in (0, 1].
                -serviceTime.meanMs * Math.log(1 - random());
        return base * slowdown;
    };
    /** Hands a freed slot to the oldest waiter still waiting, or returns it to the pool. */
    const freeSlot = () => {
        while (head < queue.length) {
            const next = queue[head];
            queue[head] = undefined; // let the settled waiter be collected
            head++;
            if (head > 1024 && head * 2 > queue.length) {
                queue = queue.slice(head);
                head = 0;
            }
            if (!next || next.settled)
                continue;
            queuedNow--;
            next.settled = true;
            next.grant(); // the slot passes straight on: inService stays the same
            return;
        }
        inService--;
    };
    const admit = (signal) => {
        if (signal?.aborted) {
            abandoned++;
            return Promise.resolve(null);
        }
        return new Promise((resolve) => {
            let timer;
            let holdsSlot = false;
            let done = false;
            const onAbort = () => {
                if (done)
                    return;
                done = true;
                abandoned++;
                if (waiter && !waiter.settled) {
                    waiter.settled = true; // left in the array; freeSlot skips it
                    queuedNow--;
                }
                if (timer)
                    clearTimeout(timer);
                if (holdsSlot)
                    freeSlot();
                resolve(null);
            };
            const finishService = () => {
                if (done)
                    return;
                done = true;
                signal?.removeEventListener('abort', onAbort);
                let released = false;
                resolve(() => {
                    if (released)
                        return;
                    released = true;
                    served++;
                    freeSlot();
                });
            };
            const startService = () => {
                holdsSlot = true;
                const ms = sampleMs();
                if (ms <= 0)
                    finishService();
                else
                    timer = setTimeout(finishService, ms);
            };
            let waiter;
            if (inService < o.slots && queuedNow === 0) {
                inService++;
                startService();
            }
            else if (queuedNow >= o.queueLimit) {
                rejected++;
                done = true;
                resolve(null);
                return;
            }
            else {
                waiter = { grant: startService, settled: false };
                queue.push(waiter);
                queuedNow++;
            }
            if (!done)
                signal?.addEventListener('abort', onAbort, { once: true });
        });
    };
    return { admit, setSlowdown, stats };
}
function checkSlowdown(factor) {
    if (!Number.isFinite(factor) || factor <= 0) {
        throw new Error(`slowdown factor ${factor} is not valid: use a number > 0 (1 = normal speed)`);
    }
}
//# sourceMappingURL=create-capacity-model.js.map