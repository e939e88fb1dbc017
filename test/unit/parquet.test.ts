/**
 * Parquet files (src/core/data/parquet.ts, parquetLoad.ts, table.ts): the same Dataset as the CSV of the same data
 * (types, missing values, column order), files from a real writer (DuckDB 1.5: snappy, zstd, gzip, uncompressed) and
 * from hyparquet-writer (several row groups), projection, and errors naming file, row group, row and column.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { Column } from '../../src/core/data/dataset';
import { ParquetTable } from '../../src/core/data/parquet';
import { loadParquet } from '../../src/core/data/parquetLoad';
import { loadTable, readTableHeader } from '../../src/core/data/table';
import { REPO, tempDir } from './helpers';
import { writeParquet } from './parquetFiles';

const FIX = path.join(REPO, 'test', 'fixtures', 'parquet');
const dir = tempDir('mlops-parquet-');

/** Columns as plain data (NaN kept, categorical as level names or null) for deepEqual. */
function plain(columns: Column[]): unknown[] {
  return columns.map((c) => (c.type === 'numeric' ? { name: c.name, type: c.type, values: Array.from(c.values) } : { name: c.name, type: c.type, values: Array.from(c.codes, (k) => (k < 0 ? null : c.levels[k])), levels: c.levels }));
}

describe('Parquet read = CSV read for the same data', () => {
  for (const name of ['mixed', 'mixed-zstd', 'mixed-gzip', 'mixed-plain']) {
    it(`${name}.parquet (written by DuckDB) gives the Dataset of mixed.csv: types, missing values, column order`, async () => {
      const csv = await loadTable(path.join(FIX, 'mixed.csv'), { missing: 'keep' });
      const pq = await loadTable(path.join(FIX, `${name}.parquet`), { missing: 'keep' });
      assert.deepEqual(pq.info.columns, csv.info.columns);
      assert.deepEqual(pq.info.columns.map((c) => c.type), ['numeric', 'numeric', 'categorical', 'categorical', 'numeric', 'numeric', 'numeric', 'numeric']);
      assert.deepEqual(pq.info.missing, csv.info.missing);
      assert.equal(pq.info.rows, 6);
      assert.deepEqual(plain(pq.columns), plain(csv.columns));
    });
  }

  it('the missing-value policies give the same result (drop, median) and the same error', async () => {
    for (const missing of ['drop', 'median'] as const) {
      const csv = await loadTable(path.join(FIX, 'mixed.csv'), { missing });
      const pq = await loadTable(path.join(FIX, 'mixed.parquet'), { missing });
      assert.deepEqual(pq.info.missing, csv.info.missing, missing);
      assert.deepEqual(plain(pq.columns), plain(csv.columns), missing);
    }
    await assert.rejects(loadTable(path.join(FIX, 'mixed.parquet')), /mixed\.parquet, row group 1 of 1, row 3, column 'x': missing value \(null or NaN\); use the option to drop such rows/);
  });

  it('several row groups, nulls, a text column of numbers and a forced-categorical column (hyparquet-writer)', async () => {
    const n = 25;
    const a = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? null : i * 0.5 - 3));
    const s = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 'NA' : ['x', 'y', 'z'][i % 3]));
    const t = Array.from({ length: n }, (_, i) => (i === 0 ? null : String(i * 1.25)));
    const code = Array.from({ length: n }, (_, i) => i % 4);
    const f = writeParquet(path.join(dir, 'groups.parquet'), [{ name: 'a', data: a, type: 'DOUBLE' }, { name: 's', data: s, type: 'STRING' }, { name: 't', data: t, type: 'STRING' }, { name: 'code', data: code, type: 'INT32' }], { rowGroupSize: 7 });
    const cell = (v: unknown) => (v === null ? '' : String(v));
    const csvFile = path.join(dir, 'groups.csv');
    fs.writeFileSync(csvFile, ['a,s,t,code', ...a.map((_, i) => [a[i], s[i], t[i], code[i]].map(cell).join(','))].join('\n') + '\n');
    assert.equal(ParquetTable.open(f).rowGroups.length, 4);
    for (const categorical of [[], ['code']]) {
      const csv = await loadTable(csvFile, { missing: 'keep', categorical });
      const pq = await loadTable(f, { missing: 'keep', categorical });
      assert.deepEqual(pq.info.columns, csv.info.columns);
      assert.deepEqual(pq.info.missing, csv.info.missing);
      assert.deepEqual(plain(pq.columns), plain(csv.columns));
    }
  });

  it('REQUIRED columns (no definition levels) and nullable ones read alike', async () => {
    const v = Float64Array.from({ length: 30 }, (_, i) => i / 4);
    const names = Array.from({ length: 30 }, (_, i) => ['p', 'q'][i % 2]);
    const f = writeParquet(path.join(dir, 'required.parquet'), [{ name: 'v', data: v, type: 'DOUBLE', nullable: false }, { name: 'w', data: v, type: 'DOUBLE' }, { name: 's', data: names, type: 'STRING', nullable: false }], { rowGroupSize: 8 });
    const ds = await loadTable(f);
    assert.deepEqual(plain(ds.columns), [{ name: 'v', type: 'numeric', values: Array.from(v) }, { name: 'w', type: 'numeric', values: Array.from(v) }, { name: 's', type: 'categorical', values: names, levels: ['p', 'q'] }]);
  });

  it('readTableHeader gives the schema column names in order', () => {
    assert.deepEqual(readTableHeader(path.join(FIX, 'mixed.parquet')), ['x', 'n', 'kind', 'flag', 'price', 'big', 'f32', 'numtext']);
    assert.deepEqual(readTableHeader(path.join(FIX, 'mixed.csv')), ['x', 'n', 'kind', 'flag', 'price', 'big', 'f32', 'numtext']);
  });
});

describe('Parquet projection', () => {
  it('reads only the asked columns: damaging another column’s chunks does not matter to it', async () => {
    const n = 40;
    const f = writeParquet(path.join(dir, 'proj.parquet'), [
      { name: 'a', data: Float64Array.from({ length: n }, (_, i) => i), type: 'DOUBLE' },
      { name: 'b', data: Float64Array.from({ length: n }, (_, i) => i * 2), type: 'DOUBLE' },
      { name: 'c', data: Float64Array.from({ length: n }, (_, i) => -i), type: 'DOUBLE' },
    ], { rowGroupSize: 20, codec: 'UNCOMPRESSED' });
    // Overwrite every chunk of column b with bytes that are no page header.
    const md = (ParquetTable.open(f) as unknown as { metadata: { row_groups: { columns: { meta_data: { data_page_offset: bigint; total_compressed_size: bigint } }[] }[] } }).metadata;
    const fd = fs.openSync(f, 'r+');
    for (const g of md.row_groups) {
      const m = g.columns[1].meta_data;
      fs.writeSync(fd, Buffer.alloc(Number(m.total_compressed_size), 0xff), 0, Number(m.total_compressed_size), Number(m.data_page_offset));
    }
    fs.closeSync(fd);
    const ds = await loadParquet(f, { columns: ['c', 'a'] });
    assert.deepEqual(ds.columns.map((c) => c.name), ['c', 'a']);
    assert.deepEqual(Array.from((ds.columns[1] as { values: Float64Array }).values).slice(0, 3), [0, 1, 2]);
    await assert.rejects(loadParquet(f), /proj\.parquet, row group 1 of 2, column 'b': cannot be decoded \(the file is damaged/);
  });

  it('a column that is not in the file is named, with the file’s columns', async () => {
    await assert.rejects(loadParquet(path.join(FIX, 'mixed.parquet'), { columns: ['x', 'zz'] }), /mixed\.parquet, column 'zz': no column 'zz' \(columns: x, n, kind, flag, price, big, f32, numtext\)/);
  });
});

describe('Parquet bad input', () => {
  it('a non-numeric value in a numeric text column: file, row group, row and column', async () => {
    const v = Array.from({ length: 30 }, (_, i) => (i === 23 ? 'n/a!' : String(i)));
    const f = writeParquet(path.join(dir, 'bad.parquet'), [{ name: 'id', data: Int32Array.from({ length: 30 }, (_, i) => i), type: 'INT32' }, { name: 'v', data: v, type: 'STRING' }], { rowGroupSize: 10 });
    await assert.rejects(loadTable(f), (e: Error) => e.name === 'ParquetError' && /bad\.parquet, row group 3 of 3, row 24, column 'v': 'n\/a!' is not a number \(the column is numeric: row 1 holds 0\)/.test(e.message));
  });

  it('unsupported types are named (timestamp, list, struct, date); projecting them out reads the file', async () => {
    const f = path.join(FIX, 'unsupported.parquet');
    await assert.rejects(loadTable(f), /unsupported\.parquet, column 'ts': unsupported type INT64 \(TIMESTAMP\): dates and times are not read/);
    await assert.rejects(loadParquet(f, { columns: ['tags'] }), /column 'tags': unsupported type group \(LIST\): nested columns/);
    await assert.rejects(loadParquet(f, { columns: ['s'] }), /column 's': unsupported type group: nested columns/);
    await assert.rejects(loadParquet(f, { columns: ['d'] }), /column 'd': unsupported type INT32 \(DATE\)/);
    assert.deepEqual(Array.from(((await loadParquet(f, { columns: ['x'] })).columns[0] as { values: Float64Array }).values), [1.5, 1.5, 1.5]);
  });

  it('a missing, empty, non-Parquet, truncated or damaged file', async () => {
    await assert.rejects(loadTable(path.join(dir, 'nope.parquet')), /nope\.parquet: file not found/);
    fs.writeFileSync(path.join(dir, 'empty.parquet'), '');
    await assert.rejects(loadTable(path.join(dir, 'empty.parquet')), /empty\.parquet: the file is empty/);
    fs.writeFileSync(path.join(dir, 'text.parquet'), 'a,b\n1,2\n');
    await assert.rejects(loadTable(path.join(dir, 'text.parquet')), /text\.parquet: is not a Parquet file \(no PAR1 magic number/);
    const good = fs.readFileSync(path.join(FIX, 'mixed.parquet'));
    fs.writeFileSync(path.join(dir, 'cut.parquet'), good.subarray(0, good.length - 100));
    await assert.rejects(loadTable(path.join(dir, 'cut.parquet')), /cut\.parquet: is not a Parquet file .* or it is truncated/);
    const footerLen = good.readUInt32LE(good.length - 8);
    const broken = Buffer.from(good);
    broken.fill(0x7f, good.length - 8 - footerLen, good.length - 8 - footerLen + 40);
    fs.writeFileSync(path.join(dir, 'footer.parquet'), broken);
    await assert.rejects(loadTable(path.join(dir, 'footer.parquet')), (e: Error) => e.name === 'ParquetError' && /footer\.parquet: /.test(e.message));
  });
});
