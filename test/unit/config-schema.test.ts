/** schemas/mlops.schema.json (completion and hovers in mlops.yaml) describes what the parser accepts: same keys, same choices. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { CONFIG_KEYS, ConfigError, parseConfig } from '../../src/core/config/config';
import { createSampleWorkspace } from '../../src/core/sample/sampleWorkspace';
import { tempDir } from './helpers';

const REPO = path.join(__dirname, '..', '..', '..');
type Schema = { properties?: Record<string, Schema>; items?: Schema; enum?: string[]; additionalProperties?: unknown; required?: string[] };
const schema = JSON.parse(fs.readFileSync(path.join(REPO, 'schemas', 'mlops.schema.json'), 'utf8')) as Schema;
const props = (s: Schema | undefined) => Object.keys(s?.properties ?? {}).sort();

describe('mlops.yaml JSON schema', () => {
  it('is contributed for mlops.yaml files', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    assert.ok(pkg.contributes.yamlValidation.some((v: { fileMatch: string; url: string }) => v.fileMatch === 'mlops.yaml' && v.url === './schemas/mlops.schema.json'));
  });

  it('has exactly the keys the parser knows, section by section, and no others', () => {
    assert.deepEqual(props(schema), [...CONFIG_KEYS.top].sort());
    assert.deepEqual(props(schema.properties!.training), [...CONFIG_KEYS.training].sort());
    assert.deepEqual(props(schema.properties!.sweep), [...CONFIG_KEYS.sweep].sort());
    assert.deepEqual(props(schema.properties!.monitoring), ['monitors']);
    const monitor = schema.properties!.monitoring.properties!.monitors.items!;
    assert.deepEqual(props(monitor), [...CONFIG_KEYS.monitor].sort());
    assert.deepEqual(monitor.required, ['model']);
    for (const s of [schema, schema.properties!.training, schema.properties!.sweep, schema.properties!.monitoring, monitor]) assert.equal(s.additionalProperties, false, 'unknown keys are flagged, as the parser does');
  });

  it('offers the same choices the parser accepts, and the parser refuses others', () => {
    const training = schema.properties!.training.properties!;
    for (const [key, values] of Object.entries({ task: ['regression', 'classification'], split: ['ordered', 'random'], missing: ['error', 'drop', 'median'] })) {
      assert.deepEqual(training[key].enum, values, key);
      for (const v of values) assert.equal((parseConfig(`training:\n  ${key}: ${v}\n`, 'mlops.yaml').training as Record<string, unknown>)[key], v);
      assert.throws(() => parseConfig(`training:\n  ${key}: sometimes\n`, 'mlops.yaml'), (e: unknown) => e instanceof ConfigError && e.line === 2, `${key}: sometimes is refused`);
    }
    assert.throws(() => parseConfig('monitoring:\n  monitors:\n    - {model: M, watch: yes}\n', 'mlops.yaml'), /watch must be true or false/);
    assert.equal((schema.properties!.monitoring.properties!.monitors.items!.properties!.watch as { type: string }).type, 'boolean');
  });

  it('describes every key of the sample workspace mlops.yaml', () => {
    const dir = tempDir();
    createSampleWorkspace(dir);
    const cfg = parse(fs.readFileSync(path.join(dir, 'mlops.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
    for (const [section, body] of Object.entries(cfg)) {
      assert.ok(schema.properties![section], `section ${section}`);
      for (const key of Object.keys(body)) assert.ok(schema.properties![section].properties![key], `${section}.${key}`);
    }
    for (const m of cfg.monitoring.monitors as Record<string, unknown>[]) for (const key of Object.keys(m)) assert.ok(schema.properties!.monitoring.properties!.monitors.items!.properties![key], `monitor key ${key}`);
  });
});
