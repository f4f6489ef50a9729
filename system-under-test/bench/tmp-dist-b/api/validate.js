import { ValidationError } from '../domain/domain-errors.js';
// Turns zod issues into the API's `details` list: one entry per bad field, named by its dotted
// path, so a client can point at the exact input. Unknown fields get an entry each.
export function issuesToProblems(issues, root) {
    const problems = [];
    for (const issue of issues) {
        const path = issue.path.map(String).join('.');
        if (issue.code === 'unrecognized_keys') {
            for (const key of issue.keys) {
                problems.push({ field: path === '' ? key : `${path}.${key}`, message: 'unknown field: remove it or check its spelling' });
            }
        }
        else if (issue.code === 'invalid_type' && issue.input === undefined && path !== '') {
            problems.push({ field: path, message: 'is required' });
        }
        else {
            problems.push({ field: path === '' ? root : path, message: issue.message });
        }
    }
    return problems;
}
/** Parses `input` or throws a ValidationError naming every bad field. `what` says which part of the request it was. */
export function parseInput(schema, input, what) {
    const result = schema.safeParse(input);
    if (result.success)
        return result.data;
    const details = issuesToProblems(result.error.issues, what === 'body' ? '(body)' : '(query)');
    const fields = [...new Set(details.map((d) => d.field))].join(', ');
    throw new ValidationError(`invalid request ${what}: check ${fields}${what === 'body' ? ' (unknown body fields are rejected)' : ''}`, details);
}
//# sourceMappingURL=validate.js.map