/**
 * Reads the reason out of a Statuspage error body. The spec documents `{"message": "..."}`, live
 * answers have been seen with `error` or `errors` (a string, a list, or a field → messages map), so
 * try each in that order and fall back to the HTTP status text.
 */
const MAX_DETAIL = 300;

/** The human part of an error response, one line, at most 300 characters. */
export function statusPageErrorDetail(bodyText: string, statusText: string): string {
  const parsed = tryParse(bodyText);
  const detail =
    pick(parsed, 'message') ??
    pick(parsed, 'error') ??
    pick(parsed, 'errors') ??
    (statusText || 'no reason given');
  const line = detail.replace(/\s+/g, ' ').trim();
  return line.length > MAX_DETAIL ? `${line.slice(0, MAX_DETAIL - 1)}…` : line;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function pick(body: unknown, key: string): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const text = flatten((body as Record<string, unknown>)[key]);
  return text && text.length > 0 ? text : undefined;
}

function flatten(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const parts = value.map(flatten).filter((p): p is string => !!p);
    return parts.length > 0 ? parts.join('; ') : undefined;
  }
  if (value && typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .map(([field, v]) => {
        const text = flatten(v);
        return text ? `${field} ${text}` : undefined;
      })
      .filter((p): p is string => !!p);
    return parts.length > 0 ? parts.join('; ') : undefined;
  }
  return undefined;
}
