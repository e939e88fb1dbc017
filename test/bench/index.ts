/**
 * `npm run bench`: prints every speed figure the issues ask for. Not part of `npm test`.
 * Sections can be chosen: `npm run bench -- store` (default: all).
 */
import * as os from 'node:os';
import { activationBench } from './activationBench';
import { compareBench } from './compareBench';
import { driftBench } from './driftBench';
import { forestBench } from './forestBench';
import { mlflowBench, mlflowSharingBench } from './mlflowBench';
import { registryBench } from './registryBench';
import { storeBench } from './storeBench';
import { trainingBench } from './trainingBench';

const sections: Record<string, () => void | Promise<void>> = {
  store: () => storeBench(process.env.BENCH_RUNS ? process.env.BENCH_RUNS.split(',').map((x) => Number(x.trim())) : undefined),
  forest: () => forestBench(),
  training: () => trainingBench(),
  drift: () => driftBench(),
  registry: () => registryBench(),
  compare: () => compareBench(),
  mlflow: async () => {
    await mlflowBench();
    await mlflowSharingBench();
  },
  'mlflow-push': () => mlflowSharingBench(),
  'mlflow-sources': () => mlflowBench(),
  activation: () => activationBench(),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length ? wanted : Object.keys(sections);
  console.log(`MLOps Workbench bench — node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString()}`);
  for (const n of names) {
    const fn = sections[n];
    if (!fn) throw new Error(`Unknown bench section '${n}'. Known: ${Object.keys(sections).join(', ')}`);
    await fn();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
