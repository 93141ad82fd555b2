// Arguments for a tool call that satisfy a (simple) JSON Schema object: every required
// property (every property when none is marked required), typed. `call` numbers the call, so
// two calls send different values. Each driver's install copies this file beside the driver.

export function argumentsFor(schema, call) {
    const args = {};
    const properties = schema?.properties ?? {};
    for (const name of schema?.required ?? Object.keys(properties)) {
        args[name] = valueFor(properties[name] ?? {}, call);
    }
    return args;
}

function valueFor(schema, call) {
    if (schema.enum?.length) return schema.enum[0];
    switch (Array.isArray(schema.type) ? schema.type[0] : schema.type) {
        case 'number':
        case 'integer':
            return call;
        case 'boolean':
            return true;
        case 'array':
            return [];
        case 'object':
            return argumentsFor(schema, call);
        default:
            return `call ${call}`;
    }
}
