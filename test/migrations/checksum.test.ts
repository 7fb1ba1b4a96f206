import { checksumOf, scriptMatchesChecksum } from '../../src/migrations/checksum.js';
import { readMigrationsFolder } from '../../src/migrations/folder.js';
import { makeFolder } from './folder-helpers.js';

describe('checksum (Prisma vectors)', () => {
  it('hashes the empty file and "hello" like Prisma', () => {
    expect(checksumOf('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(checksumOf('hello')).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  });

  it('keeps CRLF, BOM and multibyte text as read (no normalisation)', async () => {
    const crlf = 'CREATE TABLE a (id int);\r\nCREATE TABLE b (id int);\r\n';
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('SELECT 1;\n')]);
    const multi = "COMMENT ON TABLE a IS 'Zürich → 東京 🚀';\n";
    const f = makeFolder({ '1_crlf': crlf, '2_bom': bom, '3_multi': multi });
    try {
      const folder = await readMigrationsFolder(f.dir);
      const [a, b, c] = folder.migrations;
      expect(a?.checksum).toBe(checksumOf(Buffer.from(crlf)));
      expect(a?.checksum).not.toBe(checksumOf(crlf.replace(/\r\n/g, '\n')));
      expect(b?.checksum).toBe(checksumOf(bom));
      expect(b?.script?.charCodeAt(0)).toBe(0xfeff);
      expect(c?.checksum).toBe(checksumOf(Buffer.from(multi, 'utf8')));
      expect(c?.script).toBe(multi);
    } finally {
      f.cleanup();
    }
  });

  it('compares accepting the LF and CRLF variants, and the legacy unpadded rendering', () => {
    const lf = 'SELECT 1;\nSELECT 2;\n';
    const crlf = lf.replace(/\n/g, '\r\n');
    expect(scriptMatchesChecksum(crlf, checksumOf(lf))).toBe(true);
    expect(scriptMatchesChecksum(lf, checksumOf(crlf))).toBe(true);
    expect(scriptMatchesChecksum(lf, checksumOf('SELECT 3;'))).toBe(false);
    // sha256("hello") contains the byte 0x0e, rendered "e" by the legacy format.
    const legacy = [...Buffer.from(checksumOf('hello'), 'hex')].map((x) => x.toString(16)).join('');
    expect(legacy.length).toBeLessThan(64);
    expect(scriptMatchesChecksum('hello', legacy)).toBe(true);
  });
});
