import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CsvError, loadCsv, readCsvHeader } from '../../src/core/data/csv';
import { tempDir } from './helpers';

const dir = tempDir('mlops-csv-');
function file(name: string, content: string | Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, content);
  return f;
}

async function rejects(f: string, re: RegExp, opts = {}) {
  await assert.rejects(loadCsv(f, opts), (e: unknown) => {
    assert.ok(e instanceof CsvError, `CsvError, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.match(e.message, re);
    assert.ok(e.message.startsWith(f), `message names the file: ${e.message}`);
    return true;
  });
}

describe('CSV loading', () => {
  it('loads numeric and categorical columns into typed arrays, with hash, rows and types', async () => {
    const f = file('ok.csv', 'a,b,kind,y\n1,2.5,x,10\n3,-4e-1,y,20\n5,6,x,30\n');
    const ds = await loadCsv(f);
    assert.equal(ds.info.rows, 3);
    assert.deepEqual(ds.info.columns, [{ name: 'a', type: 'numeric' }, { name: 'b', type: 'numeric' }, { name: 'kind', type: 'categorical' }, { name: 'y', type: 'numeric' }]);
    const b = ds.columns[1];
    assert.ok(b.type === 'numeric' && b.values instanceof Float64Array);
    assert.deepEqual(Array.from((b as { values: Float64Array }).values), [2.5, -0.4, 6]);
    const k = ds.columns[2];
    assert.ok(k.type === 'categorical');
    assert.deepEqual(k.levels, ['x', 'y']);
    assert.deepEqual(Array.from(k.codes), [0, 1, 0]);
    assert.equal(ds.info.sha256, crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex'));
  });

  it('accepts a UTF-8 BOM, CRLF line ends, quoted fields and a trailing blank line', async () => {
    const f = file('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name,"v, with comma",y\r\n"a ""q""",1,2\r\nb,3,4\r\n\r\n')]));
    const ds = await loadCsv(f);
    assert.deepEqual(ds.info.columns.map((c) => c.name), ['name', 'v, with comma', 'y']);
    assert.equal(ds.info.rows, 2);
    const n = ds.columns[0];
    assert.ok(n.type === 'categorical');
    assert.deepEqual(n.levels, ['a "q"', 'b']);
  });

  it('rejects every bad input with file, row and column', async () => {
    await rejects(path.join(dir, 'missing.csv'), /file not found/);
    await rejects(file('empty.csv', ''), /the file is empty/);
    await rejects(file('header.csv', 'a,b,y\n'), /has a header but no data rows/);
    await rejects(file('dup.csv', 'a,b,a\n1,2,3\n'), /row 1, column 'a': duplicate column name 'a' \(columns 1 and 3\)/);
    await rejects(file('emptyname.csv', 'a,,y\n1,2,3\n'), /row 1: column 2 has an empty name/);
    await rejects(file('ragged.csv', 'a,b,y\n1,2,3\n4,5\n'), /row 3: has 2 fields, the header has 3/);
    await rejects(file('nan.csv', 'a,Temperature,y\n1,25.1,3\n2,hot,4\n'), /row 3, column 'Temperature': 'hot' is not a number \(the column is numeric: row 2 holds 25\.1\)/);
    await rejects(file('miss.csv', 'a,b,y\n1,2,3\n4,,6\n'), /row 3, column 'b': missing value/);
    await rejects(file('missNA.csv', 'a,b,y\n1,2,3\n4,NA,6\n'), /row 3, column 'b': missing value \('NA'\)/);
    await rejects(file('inf.csv', 'a,y\n1,2\nInfinity,3\n'), /row 3, column 'a': 'Infinity' is not a number/);
    await rejects(file('forced.csv', 'a,y\n1,2\n'), /column 'zz' given as categorical is not in the header/, { categorical: ['zz'] });
    await assert.rejects(loadCsv(dir), /is a folder/);
  });

  it('drops rows with missing values or imputes the median when asked', async () => {
    const f = file('gaps.csv', 'a,c,y\n1,x,10\n,x,20\n3,,30\n5,z,\n7,z,50\n');
    const dropped = await loadCsv(f, { missing: 'drop' });
    assert.equal(dropped.info.rows, 2);
    assert.equal(dropped.info.missing.droppedRows, 3);
    assert.deepEqual(Array.from((dropped.columns[0] as { values: Float64Array }).values), [1, 7]);
    const imputed = await loadCsv(f, { missing: 'median' });
    assert.equal(imputed.info.rows, 5);
    assert.deepEqual(Array.from((imputed.columns[0] as { values: Float64Array }).values), [1, 4, 3, 5, 7]); // median of 1,3,5,7 = 4
    assert.deepEqual(Array.from((imputed.columns[2] as { values: Float64Array }).values), [10, 20, 30, 25, 50]);
    const c = imputed.columns[1];
    assert.ok(c.type === 'categorical');
    assert.deepEqual(Array.from(c.codes, (k) => c.levels[k]), ['x', 'x', 'x', 'z', 'z']); // most frequent level
    assert.deepEqual(imputed.info.missing.imputed, { a: 1, c: 1, y: 1 });
  });

  it('treats a column as categorical when asked, even if it looks numeric', async () => {
    const ds = await loadCsv(file('lot.csv', 'lot,y\n12,1\n13,2\n12,3\n'), { categorical: ['lot'] });
    const c = ds.columns[0];
    assert.ok(c.type === 'categorical');
    assert.deepEqual(c.levels, ['12', '13']);
  });

  it('streams a large file into one typed array per column', async () => {
    const lines = ['x1,x2,y'];
    for (let i = 0; i < 200_000; i++) lines.push(`${i},${i * 0.5},${i % 7}`);
    const ds = await loadCsv(file('big.csv', lines.join('\n') + '\n'));
    assert.equal(ds.info.rows, 200_000);
    const x2 = ds.columns[1] as { values: Float64Array };
    assert.equal(x2.values.length, 200_000);
    assert.equal(x2.values[199_999], 99_999.5);
  });
});

describe('readCsvHeader', () => {
  it('reads the header row only, quoted names with commas and a BOM included', () => {
    const f = path.join(tempDir('mlops-header-'), 'h.csv');
    fs.writeFileSync(f, '\ufeffa,"b, with comma", c \n1,2,3\n');
    assert.deepEqual(readCsvHeader(f), ['a', 'b, with comma', 'c']);
  });
});
