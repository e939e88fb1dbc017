/**
 * Drift and performance alerts, persisted in the store as an append-only log (monitoring/alerts.jsonl): an alert
 * is raised once, and acknowledge / dismiss / reopen are later events on it. The current state is the replay.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../store/store';
import { appendRecord, formatLogProblem, readJsonLog, verifyAppended } from '../util/jsonLog';
import { UserInputError } from '../util/errors';
import type { Alert, AlertStatus } from './types';

export type { Alert, AlertStatus, AlertType, Severity } from './types';

type AlertEvent = { kind: 'raised'; alert: Omit<Alert, 'status'> } | { kind: 'status'; id: string; status: AlertStatus; by: string; time: number; note?: string };

export class AlertStore {
  readonly file: string;
  constructor(private readonly store: Store) {
    this.file = path.join(store.root, 'monitoring', 'alerts.jsonl');
  }

  raise(a: Omit<Alert, 'id' | 'time' | 'status'>): Alert {
    const alert: Omit<Alert, 'status'> = { ...a, id: crypto.randomBytes(8).toString('hex'), time: Date.now() };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    appendRecord(this.file, { kind: 'raised', alert } satisfies AlertEvent, { checksum: true });
    this.store.touch();
    verifyAppended<AlertEvent>(this.file, (e) => e.kind === 'raised' && e.alert?.id === alert.id);
    return { ...alert, status: 'open' };
  }

  setStatus(id: string, status: AlertStatus, by: string, note?: string): Alert {
    const cur = this.list().alerts.find((a) => a.id === id || a.id.startsWith(id));
    if (!cur) throw new UserInputError(`No alert with id ${id}.`);
    if (cur.status === status) throw new UserInputError(`Alert ${cur.id} is already ${status}.`);
    const time = Date.now();
    appendRecord(this.file, { kind: 'status', id: cur.id, status, by, time, note } satisfies AlertEvent, { checksum: true });
    this.store.touch();
    // Report the change only when it reads back (issue 18 #1).
    const now = this.list().alerts.find((a) => a.id === cur.id);
    if (now?.status !== status) throw new Error(`${this.file}: the status change of alert ${cur.id} does not read back; nothing was changed (run 'mlops store check')`);
    return { ...cur, status, statusBy: by, statusAt: Date.now() };
  }

  list(): { alerts: Alert[]; problems: string[] } {
    const { records, problems } = readJsonLog<AlertEvent>(this.file, { validate: validateAlertEvent });
    const byId = new Map<string, Alert>();
    for (const { value: e } of records) {
      if (e.kind === 'raised') byId.set(e.alert.id, { ...e.alert, status: 'open' });
      else {
        const a = byId.get(e.id);
        if (a) Object.assign(a, { status: e.status, statusBy: e.by, statusAt: e.time });
      }
    }
    return { alerts: [...byId.values()].sort((a, b) => b.time - a.time), problems: problems.map(formatLogProblem) };
  }
}

function validateAlertEvent(e: AlertEvent): string | undefined {
  if (!e || typeof e !== 'object') return 'not an alert event';
  if (e.kind === 'raised') return e.alert && typeof e.alert.id === 'string' && typeof e.alert.time === 'number' ? undefined : 'not an alert (id and time are needed)';
  if (e.kind === 'status') return typeof e.id === 'string' && typeof e.status === 'string' ? undefined : 'not an alert status change (id and status are needed)';
  return `unknown alert event kind ${JSON.stringify((e as { kind?: unknown }).kind)}`;
}
