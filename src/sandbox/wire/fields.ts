/**
 * A message as the three gateways exchange it: one string per field name. Maps built by the
 * sandbox's own parsers have no prototype, so a field named `__proto__` or `constructor` is data.
 */
export type Fields = Record<string, string>;

/** Keeps the fields that are sent: the providers leave absent and empty fields out of a message. */
export function compact(fields: Readonly<Record<string, string | undefined>>): Fields {
  const out: Fields = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined && value !== '') out[key] = value;
  return out;
}
