/**
 * The order of migration names: byte-wise by their UTF-8, as Prisma's engine lists a migrations
 * folder (folder.ts) and as `drawbridge review <dir>` reads one. A module of its own so that the
 * review loads no more than this of the folder reader.
 */

const SURROGATE = /[\ud800-\udfff]/;

/**
 * `names` in the byte order of their UTF-8 (the order Prisma's Rust engine uses), without encoding
 * each name at every comparison (an 820-name history made some 16,000 buffers). Without surrogates,
 * JavaScript's order of UTF-16 code units is the order of code points, which is UTF-8's byte order;
 * a name with a surrogate (a character beyond U+FFFF, or a lone one, which UTF-8 encodes as U+FFFD)
 * sorts by its bytes, each name encoded once.
 */
export function sortNamesBytewise(names: readonly string[]): string[] {
  if (!names.some((n) => SURROGATE.test(n))) return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names
    .map((name) => ({ name, bytes: Buffer.from(name, 'utf8') }))
    .sort((x, y) => Buffer.compare(x.bytes, y.bytes))
    .map((e) => e.name);
}
