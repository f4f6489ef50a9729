import { createServer } from 'node:net';
/**
 * Asks the OS for a free port by binding port 0 and closing it: real engines need a number in
 * their config file. (Another process could take it in between; on 127.0.0.1 that is rare, and a
 * taken port fails loudly at start.)
 */
export function freePort(host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, host, () => {
            const address = server.address();
            const port = typeof address === 'object' && address ? address.port : 0;
            server.close(() => resolve(port));
        });
    });
}
//# sourceMappingURL=free-port.js.map