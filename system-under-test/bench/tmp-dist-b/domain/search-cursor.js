import { z } from 'zod';
import { ValidationError } from './domain-errors.js';
// The prefix-search cursor is opaque to clients (base64url of the last returned (nameKey, id)),
// so the merge order can change later without breaking them. It comes back from outside, so it is
// validated when decoded: a tampered or truncated cursor is a 400, never a 500.
const cursorSchema = z.strictObject({ n: z.string().max(1000), i: z.string().min(1).max(200) });
export function encodeSearchCursor(position) {
    return Buffer.from(JSON.stringify({ n: position.nameKey, i: position.id }), 'utf8').toString('base64url');
}
export function decodeSearchCursor(cursor) {
    const invalid = () => new ValidationError('cursor is not valid: pass the nextCursor of a previous page unchanged, or omit it for the first page', [
        { field: 'cursor', message: 'not a cursor returned by this API' },
    ]);
    if (!/^[A-Za-z0-9_-]{1,2000}$/.test(cursor))
        throw invalid();
    let parsed;
    try {
        parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    }
    catch {
        throw invalid();
    }
    const result = cursorSchema.safeParse(parsed);
    if (!result.success)
        throw invalid();
    return { nameKey: result.data.n, id: result.data.i };
}
//# sourceMappingURL=search-cursor.js.map