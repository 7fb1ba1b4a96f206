/**
 * identifier-too-long reads names from the statement text with a one-pass scanner. The regular
 * expression it replaced is kept here as the reference: on the rule's examples, on the test fixtures'
 * SQL, and on many generated texts mixing names, literals, comments, dollar quotes and unclosed
 * fragments, both find the same long names in the same order.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  examples,
  longIdentifiers,
  mayHoldLongName,
} from '../../../src/migrations/review/rules/identifier-too-long.js';

/** The previous implementation: every identifier the expression finds, then those over 63 bytes. */
function reference(sql: string): string[] {
  const out: string[] = [];
  const re =
    /'(?:[^']|'')*'|\$([A-Za-z_]*)\$[\s\S]*?\$\1\$|--[^\n]*|\/\*[\s\S]*?\*\/|"((?:[^"]|"")*)"|([A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)/g;
  for (let m = re.exec(sql); m; m = re.exec(sql)) {
    if (m[2] !== undefined) out.push(m[2].replace(/""/g, '"'));
    else if (m[3] !== undefined) out.push(m[3]);
  }
  return [...new Set(out)].filter((n) => Buffer.byteLength(n, 'utf8') > 63);
}

function sqlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sqlFilesUnder(p));
    else if (name.endsWith('.sql')) out.push(p);
  }
  return out;
}

/** A small deterministic generator (the test must not depend on chance). */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PIECES = [
  'a'.repeat(64),
  'b'.repeat(63),
  `"${'c'.repeat(64)}"`,
  `"${'d'.repeat(62)}"""`,
  `"${'é'.repeat(32)}"`,
  `${'ü'.repeat(32)}`,
  `'${'e'.repeat(70)}'`,
  `'it''s'`,
  `E'x\\'y'`,
  '"',
  "'",
  '""',
  "''",
  '$$',
  '$tag$',
  `$tag$ ${'f'.repeat(70)} $tag$`,
  `$$ "${'g'.repeat(70)}" $$`,
  '$1',
  '-- ',
  `-- ${'h'.repeat(70)}\n`,
  '/*',
  '*/',
  `/* ${'i'.repeat(70)} */`,
  '\n',
  ' ',
  ',',
  '(',
  'x$y',
  '12ab',
  '_',
  `${'j'.repeat(40)}$${'k'.repeat(40)}`,
  '😀'.repeat(16),
  'CREATE TABLE ',
  'ALTER TABLE "User" ADD COLUMN ',
];

describe('identifier-too-long scanner', () => {
  it('finds what the previous expression found in the rule examples', () => {
    for (const sql of [...examples.good, ...examples.bad])
      expect(longIdentifiers(sql)).toEqual(reference(sql));
    expect(examples.bad.every((sql) => longIdentifiers(sql).length > 0)).toBe(true);
  });

  it('finds what the previous expression found in every SQL file of the test fixtures', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const files = sqlFilesUnder(join(root, 'fixtures'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const sql = readFileSync(f, 'utf8');
      expect([f, longIdentifiers(sql)]).toEqual([f, reference(sql)]);
    }
  });

  it('finds what the previous expression found in 5000 generated texts', () => {
    const next = generator(15);
    let withLong = 0;
    for (let t = 0; t < 5000; t++) {
      const count = 1 + Math.floor(next() * 12);
      let sql = '';
      for (let k = 0; k < count; k++) sql += PIECES[Math.floor(next() * PIECES.length)];
      const expected = reference(sql);
      if (expected.length > 0) withLong++;
      expect([sql, longIdentifiers(sql)]).toEqual([sql, expected]);
      // The quick test before the scan never hides a long name.
      if (expected.length > 0) expect([sql, mayHoldLongName(sql)]).toEqual([sql, true]);
    }
    // The texts exercise both answers.
    expect(withLong).toBeGreaterThan(1000);
    expect(withLong).toBeLessThan(4900);
  });

  it('lets plain statements skip the scan', () => {
    expect(mayHoldLongName('ALTER TABLE "User" ADD COLUMN "name" TEXT NOT NULL DEFAULT \'x\'')).toBe(false);
    expect(mayHoldLongName(`CREATE TABLE ${'a'.repeat(63)} (id int)`)).toBe(false);
    expect(mayHoldLongName(`CREATE TABLE ${'a'.repeat(64)} (id int)`)).toBe(true);
    expect(mayHoldLongName(`CREATE TABLE "${'a b'.repeat(22)}" (id int)`)).toBe(true);
    expect(mayHoldLongName('CREATE TABLE "é" (id int)')).toBe(true);
  });

  it('counts bytes, not characters, and a doubled quote once', () => {
    expect(longIdentifiers(`CREATE TABLE "${'é'.repeat(31)}a" (id int)`)).toEqual([]);
    expect(longIdentifiers(`CREATE TABLE "${'é'.repeat(32)}" (id int)`)).toEqual(['é'.repeat(32)]);
    expect(longIdentifiers(`CREATE TABLE "${'a'.repeat(62)}""" (id int)`)).toEqual([]);
    expect(longIdentifiers(`CREATE TABLE "${'a'.repeat(63)}""" (id int)`)).toEqual([`${'a'.repeat(63)}"`]);
  });
});
