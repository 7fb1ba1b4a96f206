/**
 * Migration checksums as Prisma's schema engine writes and compares them: SHA-256 of the script's
 * UTF-8 bytes, as lowercase hex (two digits a byte). Nothing is normalised before hashing.
 */
import { createHash } from 'node:crypto';

/** Lowercase 64-hex SHA-256 of the script exactly as read (bytes, or a string hashed as UTF-8). */
export function checksumOf(script: Uint8Array | string): string {
  return createHash('sha256').update(script).digest('hex');
}

/** Prisma's legacy rendering (before 2021): each byte in hex without zero padding (`0a` → `a`). */
function legacyChecksumOf(script: string): string {
  const digest = createHash('sha256').update(script).digest();
  return [...digest].map((b) => b.toString(16)).join('');
}

/**
 * True when a stored checksum matches the script the way Prisma's `script_matches_checksum` decides:
 * the script as is, with CRLF turned into LF, or with every LF turned into CRLF. A stored value that is
 * not 64 characters long is compared in the legacy unpadded rendering.
 */
export function scriptMatchesChecksum(script: string, stored: string): boolean {
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\n/g, '\r\n')];
  const render = stored.length !== 0 && stored.length !== 64 ? legacyChecksumOf : checksumOf;
  return variants.some((v) => render(v) === stored);
}
