/**
 * `npm run torture`: every family of test/torture/families/ in full; prints a table (family, tried, held, failed)
 * and each failure. Exits 1 if anything failed. `npm run torture -- NAME ...` runs only the named families;
 * MLOPS_TORTURE_SEED replays a run.
 */
import { discoverFamilies } from './discover';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const seed = Number(process.env.MLOPS_TORTURE_SEED ?? Date.now() % 1_000_000);
  const all = discoverFamilies();
  const families = wanted.length ? all.filter((f) => wanted.includes(f.name)) : all;
  if (wanted.length && families.length !== wanted.length) {
    throw new Error(`Unknown family: ${wanted.filter((w) => !all.some((f) => f.name === w)).join(', ')}. Known: ${all.map((f) => f.name).join(', ')}`);
  }
  console.log(`MLOps Workbench torture run — seed ${seed} (MLOPS_TORTURE_SEED=${seed} replays it)`);
  const rows: { name: string; tried: number; held: number; failed: number; seconds: number }[] = [];
  const failures: string[] = [];
  for (const f of families) {
    const t0 = Date.now();
    process.stdout.write(`  ${f.name}: ${f.description} ...\n`);
    const r = await f.run({ quick: false, seed });
    rows.push({ name: f.name, tried: r.tried, held: r.held, failed: r.failures.length, seconds: (Date.now() - t0) / 1000 });
    for (const x of r.failures) failures.push(`[${f.name}] ${x}`);
  }
  const w = Math.max(6, ...rows.map((r) => r.name.length));
  console.log('');
  console.log(`${'family'.padEnd(w)}  ${'tried'.padStart(6)}  ${'held'.padStart(6)}  ${'failed'.padStart(6)}  ${'time'.padStart(7)}`);
  for (const r of rows) console.log(`${r.name.padEnd(w)}  ${String(r.tried).padStart(6)}  ${String(r.held).padStart(6)}  ${String(r.failed).padStart(6)}  ${r.seconds.toFixed(1).padStart(6)}s`);
  const tot = rows.reduce((a, r) => ({ tried: a.tried + r.tried, held: a.held + r.held, failed: a.failed + r.failed }), { tried: 0, held: 0, failed: 0 });
  console.log(`${'total'.padEnd(w)}  ${String(tot.tried).padStart(6)}  ${String(tot.held).padStart(6)}  ${String(tot.failed).padStart(6)}`);
  if (failures.length) {
    console.log('\nFailures:');
    for (const f of failures) console.log(`  ${f}`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
