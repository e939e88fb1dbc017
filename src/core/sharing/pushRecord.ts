/**
 * Which workspace runs were pushed where, whoever pushed them (`mlops push` in a terminal, Push to MLflow… in VS Code):
 * `.mlops/sharing/pushed.jsonl`, one JSON line per run the first time it is pushed to a target, appended after the run
 * is complete there. Append-only, so a push killed mid-write leaves at most a torn last line, which readers skip; two
 * pushes at once append whole lines (each line is one write). The Experiments tree marks these runs "in MLflow".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PUSH_RECORD_FILE = path.join('sharing', 'pushed.jsonl');

export interface PushedLink {
  /** The target's URI (server URL, file:///…/mlruns, sqlite:///…/mlflow.db). */
  uri: string;
  localId: string;
  mlflowRunId: string;
  time: number;
}

/** The pushes recorded in a store, by workspace run id (the latest push of each run wins). */
export function readPushRecord(storeRoot: string): Map<string, PushedLink> {
  const out = new Map<string, PushedLink>();
  let text: string;
  try {
    text = fs.readFileSync(path.join(storeRoot, PUSH_RECORD_FILE), 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const l = JSON.parse(line) as PushedLink;
      if (typeof l.localId === 'string' && typeof l.uri === 'string' && typeof l.mlflowRunId === 'string') out.set(l.localId, l);
    } catch {
      /* a torn last line of a killed push: the run is recorded again by the next push */
    }
  }
  return out;
}

/** Appends the links not recorded yet (same run, target and MLflow run); one write per call. */
export function recordPushes(storeRoot: string, links: Omit<PushedLink, 'time'>[], known = readPushRecord(storeRoot)): void {
  const fresh = links.filter((l) => {
    const k = known.get(l.localId);
    return !k || k.uri !== l.uri || k.mlflowRunId !== l.mlflowRunId;
  });
  if (!fresh.length) return;
  const file = path.join(storeRoot, PUSH_RECORD_FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const time = Date.now();
  fs.appendFileSync(file, (endsTorn(file) ? '\n' : '') + fresh.map((l) => JSON.stringify({ ...l, time })).join('\n') + '\n');
  for (const l of fresh) known.set(l.localId, { ...l, time });
}

/** The file ends without a newline (a push killed mid-line): the next line must not be glued to it. */
function endsTorn(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    if (size === 0) return false;
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, size - 1);
    return b[0] !== 0x0a;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
