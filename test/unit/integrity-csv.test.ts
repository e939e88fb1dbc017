/** Issue 18, defects 16 and 22 for data files and names: strict decimal numbers, messages that name the file and escape control characters, NFC names. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CsvError, loadCsv, parseNumber } from '../../src/core/data/csv';
import { checkName } from '../../src/core/store/names';
import { prepare, split } from '../../src/core/training/prepare';
import { Tracker } from '../../src/core/tracking/tracker';
import { isDecimal, parseDecimal } from '../../src/core/util/numbers';
import { tempDir } from './helpers';

const dir = tempDir('mlops-icsv-');
// eslint-disable-next-line no-control-regex -- finding raw control characters is the point
const CONTROL = /[\u0000-\u001f]/;
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
};

describe('strict decimal numbers (issue 18 #16)', () => {
  it('accepts sign, digits, fraction, exponent; refuses hex, octal, binary, separators, Infinity, NaN, empty', () => {
    for (const [s, v] of [['16', 16], ['-1.5', -1.5], ['+.5', 0.5], ['5.', 5], ['1e3', 1000], ['1.6E+1', 16], [' 7 ', 7], ['-0', -0], ['1e-400', 0]] as const) {
      assert.equal(parseDecimal(s), v, s);
      assert.equal(isDecimal(s), true, s);
    }
    for (const s of ['0x10', '0X10', '0o20', '0b10000', '1_000', 'Infinity', '-Infinity', 'inf', 'NaN', 'nan', '', ' ', '.', 'e5', '1e', '1.2.3', '١٢', '１６', '16px', '--1', '0x', '1e400']) {
      assert.equal(parseDecimal(s), undefined, s);
    }
    assert.equal(isDecimal('1e400'), true, '1e400 is decimal notation, but not a finite number');
  });

  it('CSV cells: hex is text, not a number', async () => {
    assert.equal(parseNumber('0x10'), undefined);
    const ds = await loadCsv(file('hex.csv', 'a,y\n0x10,1\n16,2\n0x1F,3\n'));
    assert.equal(ds.columns[0].type, 'categorical');
    await assert.rejects(loadCsv(file('hex2.csv', 'a,y\n16,1\n0x10,2\n')), /row 3, column 'a': '0x10' is not a number/);
  });

  it('22: a NUL or other control character in a CSV field is shown escaped in messages', async () => {
    await assert.rejects(loadCsv(file('nul.csv', 'a,y\n1,2\n4\u0000x,3\n')), (e: unknown) => {
      assert.ok(e instanceof CsvError);
      assert.ok(!CONTROL.test(e.message), JSON.stringify(e.message));
      assert.match(e.message, /'4\\x00x' is not a number/);
      return true;
    });
    await assert.rejects(loadCsv(file('nulcol.csv', 'a\u0007b,y\n1,2\n1,\n')), (e: unknown) => {
      assert.ok(e instanceof CsvError);
      assert.ok(!CONTROL.test(e.message), JSON.stringify(e.message));
      assert.match(e.message, /column 'y'/);
      return true;
    });
    await assert.rejects(loadCsv(file('nulcat.csv', 'a,y\n1,2\n2,3\n'), { categorical: ['z\u0000'] }), (e: unknown) => {
      assert.ok(!CONTROL.test((e as Error).message), JSON.stringify((e as Error).message));
      return true;
    });
  });

  it('22: "rows are too few for test_size" names the data file', async () => {
    const f = file('two.csv', 'a,y\n1,2\n3,5\n');
    const ds = await loadCsv(f);
    const p = prepare(ds, 'y', 'regression');
    assert.throws(() => split(ds.info.rows, 0.2, 'ordered', 1, p.y, false, f), (e: unknown) => {
      assert.match((e as Error).message, /two\.csv/);
      assert.match((e as Error).message, /2 rows are too few for test_size 0\.2/);
      return true;
    });
  });
});

describe('names are NFC-normalised (issue 18, also seen)', () => {
  it('checkName returns the NFC form', () => {
    assert.equal(checkName('Experiment name', 'cafe\u0301'), 'caf\u00e9');
    assert.equal(checkName('Run name', ' caf\u00e9 '), 'caf\u00e9');
  });
  it('café typed two ways lands in one experiment', () => {
    const t = Tracker.open(path.join(tempDir('mlops-nfc-'), '.mlops'), { create: true });
    t.startRun({ experiment: 'caf\u00e9', name: 'r1' }).end('completed');
    t.startRun({ experiment: 'cafe\u0301', name: 'r2' }).end('completed');
    const exps = t.listExperiments();
    assert.equal(exps.length, 1, exps.map((e) => JSON.stringify(e.name)).join(', '));
    assert.equal(t.searchRuns({ experiment: 'cafe\u0301' }).length, 2);
    assert.ok(t.getExperimentByName('cafe\u0301'));
  });
});
