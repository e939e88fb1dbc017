/** Registry: rollback time (the issue asks for well under a second) with a long history, and a time query. */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Registry } from '../../src/core/registry/registry';
import { Tracker } from '../../src/core/tracking/tracker';
import { fmtMs, median, report } from './harness';

export function registryBench(versions = 50, transitions = 2000): void {
  console.log(`\nRegistry: ${versions} versions, ${transitions} transitions in the history`);
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-reg-')), '.mlops');
  const tracker = Tracker.open(root, { create: true });
  const registry = new Registry(tracker.store, { identity: { osUser: 'bench', display: 'bench' } });
  for (let i = 0; i < versions; i++) {
    const r = tracker.startRun({ name: `r${i}` });
    const bin = `model ${i}`;
    r.logArtifactBytes('model/model.bin', bin);
    r.logArtifactBytes('model/model.json', JSON.stringify({ binSha256: crypto.createHash('sha256').update(bin).digest('hex') }));
    r.end();
    registry.register(tracker, r.id, 'M');
  }
  for (let i = 0; i < transitions; i++) registry.transition('M', (i % versions) + 1, 'Production');
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = process.hrtime.bigint();
    registry.rollback('M', { reason: 'bench' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  report('registry', `rollback with ${transitions + versions} events, median of 10`, fmtMs(median(times)));
  const q: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = process.hrtime.bigint();
    registry.at('M', Date.now() - 1000, { stage: 'Production' });
    q.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  report('registry', 'which version was in Production at T, median of 10', fmtMs(median(q)));
  fs.rmSync(path.dirname(root), { recursive: true, force: true });
}
