// Puts the capacity model in front of an express app: each request waits for a slot (and its
// emulated service time) before its handler runs, and gives the slot back when its response is
// done or its client went away. A slot that is never given back would shrink the server for
// good, so the release is tied to the response's 'close' event, which Node emits in both cases.
/**
 * Mount before the routes the model should limit (not before /admin or /health). Refused
 * requests get 503 with `Retry-After: 1` and the common error body, unless `onReject` already
 * answered them itself.
 */
export function capacityMiddleware(model, onReject) {
    return (req, res, next) => {
        const clientGone = new AbortController();
        let release = null;
        let finished = false;
        const onDone = () => {
            if (finished)
                return;
            finished = true;
            if (release)
                release();
            else
                clientGone.abort(); // still waiting or working: give up the place in the queue
        };
        res.once('close', onDone);
        res.once('finish', onDone);
        if (res.closed || req.destroyed) {
            onDone();
            return;
        }
        model.admit(clientGone.signal).then((granted) => {
            if (finished) {
                granted?.(); // the client left just as the slot came: hand it straight back
                return;
            }
            if (!granted) {
                onReject?.(req, res);
                if (!res.headersSent) {
                    res
                        .status(503)
                        .set('Retry-After', '1')
                        .json({
                        error: {
                            code: 'overloaded',
                            message: 'This server is at capacity (its request queue is full); retry after 1 second.',
                        },
                    });
                }
                return;
            }
            release = granted;
            next();
        }, (err) => next(err));
    };
}
//# sourceMappingURL=capacity-middleware.js.map