/**
 * SQLite without a native module: sql.js (SQLite compiled to WebAssembly). It loads in the VS Code extension host and
 * in the CLI on Node 20, and esbuild bundles it (esbuild.js copies `sql-wasm.wasm` next to the bundles in dist/).
 *
 * Why sql.js and not node-sqlite3-wasm. Both measured on Node 20 on this project's 2-core machine (shared, load 5: medians
 * of 3), each in a fresh process: open, the queries a RunSource makes (experiments, runs, params, tags, latest
 * metrics), then ten metric histories of one run. The big database is test/mlflow/make_big_sqlite.py's: MLflow's own
 * schema (its alembic migrations), 10,000 runs × 3 params × 3 tags × 10 metrics × 10 steps.
 *
 *                                      sql.js 1.16.0                     node-sqlite3-wasm 0.8.60
 *   fixture mlflow.db 2.12 (188 KB)    204 ms, +27 MB RSS (peak 67)      209 ms, +47 MB RSS (peak 87)
 *   fixture mlflow.db 3.9 (565 KB)     108 ms, +27 MB RSS (peak 70)      207 ms, +42 MB RSS (peak 83)
 *   10,000 runs (196 MB, 1M metric     960 ms: queries 535, histories    1,247 ms: queries 827, histories
 *   rows)                              324; +284 MB RSS (peak 332)       225; +115 MB RSS (peak 154)
 *
 * This reader on the big database (MlflowSqliteSource): first page 1.0–1.3 s, longest event-loop block 324 ms, a
 * refresh of the unchanged file 10–20 ms (one stat), ten histories 0.5 s, +252 MB RSS while the copy is held.
 *
 * node-sqlite3-wasm reads pages from the file on demand (less memory), but its VFS "locks" by creating a directory
 * `mlflow.db.lock` next to the database on every read: that writes into the user's folder, fails in a read-only
 * folder, leaves a stale lock that blocks every later read when the reader dies, and means nothing to MLflow, whose
 * SQLite uses POSIX locks — so it gives no protection against MLflow's writes either. It also opens no URI filenames
 * (no `?immutable=1`). sql.js never touches the user's file: we read the file once, check that the read was not torn
 * (no rollback journal, size and times unchanged: see stableRead.ts), and query that in-memory copy, so every query
 * of one snapshot sees the same committed state. The price is memory (about the file's size while a snapshot is
 * held; the reader drops it after a minute without queries) — a fair trade for MLflow stores, which are mostly well
 * under 100 MB. @sqlite.org/sqlite-wasm was not measured: the registry's 3.41.2 is an ES module made for browsers
 * (persistence through OPFS), without a VFS for a file on disk under Node.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';

export type { Database, SqlValue };

let loading: Promise<SqlJsStatic> | undefined;

/** Where sql-wasm.wasm is: next to the bundle (dist/, copied by esbuild.js), else in node_modules (tests, tsc output). */
export function sqlWasmPath(): string {
  const beside = path.join(__dirname, 'sql-wasm.wasm');
  if (fs.existsSync(beside)) return beside;
  return require.resolve('sql.js/dist/sql-wasm.wasm');
}

/** The sql.js module, compiled once per process. */
export function sqlJs(): Promise<SqlJsStatic> {
  if (!loading) {
    loading = (async () => {
      const bytes = await fs.promises.readFile(sqlWasmPath());
      return initSqlJs({ wasmBinary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
    })();
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

export type Row = Record<string, SqlValue>;

/** All rows of a query as objects. */
export function queryAll(db: Database, sql: string, params: SqlValue[] = []): Row[] {
  const st = db.prepare(sql);
  try {
    if (params.length) st.bind(params);
    const rows: Row[] = [];
    while (st.step()) rows.push(st.getAsObject() as Row);
    return rows;
  } finally {
    st.free();
  }
}

/** The same, calling `fn` per row without building objects (large tables: params, tags, metrics). */
export function eachRow(db: Database, sql: string, fn: (values: SqlValue[]) => void, params: SqlValue[] = []): void {
  const st = db.prepare(sql);
  try {
    if (params.length) st.bind(params);
    while (st.step()) fn(st.get());
  } finally {
    st.free();
  }
}

/**
 * `eachRow` for large tables while other work waits (the extension host): gives the event loop a turn every `every`
 * rows. The caller keeps the database from being closed meanwhile.
 */
export async function eachRowYielding(db: Database, sql: string, fn: (values: SqlValue[]) => void, params: SqlValue[] = [], every = 5000): Promise<void> {
  const st = db.prepare(sql);
  try {
    if (params.length) st.bind(params);
    let n = 0;
    while (st.step()) {
      fn(st.get());
      if (++n % every === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    st.free();
  }
}
