/**
 * Redaction of secrets in any text that leaves the process: logs, Slack messages, the audit log,
 * error messages. Two layers: patterns that recognise secrets by shape (passwords inside URLs and
 * conninfo strings, Slack tokens, Authorization headers), and exact values registered when a secret
 * is read (signing secret, API keys, database passwords, however short), which catches them in any
 * shape.
 */

const MASK = '***';

/**
 * Secrets at least this long are replaced wherever they occur, even inside a longer word: such a
 * string is unlikely to be ordinary text. Shorter ones (a 5-character database password) are replaced
 * only where they stand as a token of their own — not glued to a letter, digit or underscore on a side
 * where the secret itself starts or ends with one — because replacing every occurrence of, say, `a`
 * or `app` would mangle every message. A short secret is still never printed as itself: as a token it
 * is masked, inside a URL's userinfo or after `password=` the patterns below mask it, and a mere
 * substring of a longer word (`apple` for `app`) does not reveal it.
 */
const SUBSTRING_MIN_LENGTH = 6;
/** Long secrets, longest first (so that a URL is masked whole before the password inside it). */
let substringSecrets: string[] = [];
/** Short secrets and the token pattern of each. */
const tokenSecrets = new Map<string, RegExp>();

const WORD_AT_START = /^[\p{L}\p{N}_]/u;
const WORD_AT_END = /[\p{L}\p{N}_]$/u;

function tokenPattern(secret: string): RegExp {
  const escaped = secret.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const before = WORD_AT_START.test(secret) ? '(?<![\\p{L}\\p{N}_])' : '';
  const after = WORD_AT_END.test(secret) ? '(?![\\p{L}\\p{N}_])' : '';
  return new RegExp(`${before}${escaped}${after}`, 'gu');
}

/**
 * The shapes a secret takes in text that leaves the process: as it is, percent-encoded (URLs),
 * escaped inside a JSON string (log lines are JSON, written after redaction of their fields would be
 * too late for a quote or backslash in the secret), and mrkdwn-escaped (`&`, `<`, `>` in Slack text).
 */
function shapesOf(value: string): Set<string> {
  const shapes = new Set([value]);
  try {
    shapes.add(encodeURIComponent(value));
  } catch {
    // A lone surrogate cannot be URI-encoded; the raw value is there already.
  }
  shapes.add(JSON.stringify(value).slice(1, -1));
  shapes.add(value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  return shapes;
}

/**
 * Registers a secret value, whatever its length, so that every later `redact` call hides it (see
 * {@link SUBSTRING_MIN_LENGTH} for how short ones are matched). Empty values are ignored.
 */
export function registerSecret(value: string | undefined | null): void {
  if (!value) return;
  let added = false;
  for (const shape of shapesOf(value)) {
    if (shape.length >= SUBSTRING_MIN_LENGTH) {
      if (!substringSecrets.includes(shape)) {
        substringSecrets.push(shape);
        added = true;
      }
    } else if (!tokenSecrets.has(shape)) {
      tokenSecrets.set(shape, tokenPattern(shape));
    }
  }
  if (added) substringSecrets = [...substringSecrets].sort((a, b) => b.length - a.length);
}

/**
 * Registers a connection URL whole, and its password both as written (percent-encoded) and decoded.
 * A value that is not a URL (a conninfo string) is registered whole; its `password=` is a pattern.
 */
export function registerUrlSecrets(url: string): void {
  registerSecret(url);
  let password: string;
  try {
    password = new URL(url).password;
  } catch {
    return;
  }
  registerSecret(password);
  try {
    registerSecret(decodeURIComponent(password));
  } catch {
    // A malformed percent-escape: the password is registered as written.
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
  for (const secret of substringSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  for (const [secret, pattern] of tokenSecrets) {
    if (out.includes(secret)) out = out.replace(pattern, MASK);
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
  substringSecrets = [];
  tokenSecrets.clear();
}
