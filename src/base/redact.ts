/**
 * Redaction of secrets in any text that leaves the process: logs, Slack messages, the audit log,
 * error messages. Two layers: patterns that recognise secrets by shape (passwords inside URLs and
 * conninfo strings, Slack tokens, Authorization headers), and exact values registered when a secret
 * is read (signing secret, API keys, database passwords), which catches them in any shape.
 */

const MASK = '***';
const knownSecrets = new Set<string>();

/** Registers a secret value so that every later `redact` call hides it. Short values are ignored. */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 6) return;
  knownSecrets.add(value);
  try {
    const encoded = encodeURIComponent(value);
    if (encoded !== value) knownSecrets.add(encoded);
  } catch {
    // A lone surrogate cannot be URI-encoded; the raw value is registered already.
  }
}

const patterns: [RegExp, string][] = [
  // scheme://user:password@host  →  scheme://user:***@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@\s/?#]+)(@)/gi, `$1${MASK}$3`],
  // libpq keyword form and environment assignments: password=..., PGPASSWORD=...
  [/\b((?:pg)?password\s*[=:]\s*)('[^']*'|"[^"]*"|[^\s&;,'"]+)/gi, `$1${MASK}`],
  // SQL role passwords: CREATE/ALTER ROLE … PASSWORD 'x' (e.g. in a lock holder's query text)
  [/\b(PASSWORD\s+)(E?'(?:[^']|'')*'|\$[A-Za-z0-9_]*\$[\s\S]*?\$[A-Za-z0-9_]*\$)/gi, `$1'${MASK}'`],
  // Slack tokens: bot, user, app-level, configuration, refresh
  [/\b(xox[abposre]|xapp)-[A-Za-z0-9-]+/g, `$1-${MASK}`],
  // HTTP authorization headers
  [/\b(Bearer|OAuth|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g, `$1 ${MASK}`],
  // api_key=... in query strings or key-value text
  [
    /\b((?:api[_-]?key|apikey|secret|token|signing[_-]?secret)\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,'"]+)/gi,
    `$1${MASK}`,
  ],
];

/** Returns `text` with every recognisable or registered secret replaced by `***`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  for (const [re, replacement] of patterns) out = out.replace(re, replacement);
  return out;
}

/** Redacts every string inside a JSON-like value (objects, arrays), returning a new value. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}

/** Removes the password from a database URL for display: keeps scheme, user, host, port and database. */
export function safeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = MASK;
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|key|token/i.test(key)) u.searchParams.set(key, MASK);
    }
    return u.toString().replace(encodeURIComponent(MASK), MASK);
  } catch {
    return redact(url);
  }
}

/** Test hook: forget every registered secret. */
export function clearRegisteredSecrets(): void {
  knownSecrets.clear();
}
