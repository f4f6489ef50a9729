/** Listens and resolves with the real port (port 0 asks the OS for a free one). */
export function listen(server, port, host) {
    return new Promise((resolve, reject) => {
        const onError = (err) => reject(err);
        server.once('error', onError);
        server.listen(port, host, () => {
            server.off('error', onError);
            resolve(server.address().port);
        });
    });
}
/** Stops accepting, closes idle keep-alive sockets, waits for in-flight responses (bounded). */
export async function closeServer(server, graceMs = 5000) {
    if (!server.listening)
        return;
    const closed = new Promise((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
}
//# sourceMappingURL=listen.js.map