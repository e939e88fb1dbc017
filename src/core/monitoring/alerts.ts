/**
 * Drift and performance alerts, persisted in the store as an append-only log (monitoring/alerts.jsonl): an alert
 * is raised once, and acknowledge / dismiss / reopen are later events on it. The current state is the replay.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../store/store';
import { appendLine } from '../util/atomicFs';
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
    appendLine(this.file, JSON.stringify({ kind: 'raised', alert } satisfies AlertEvent));
    this.store.touch();
    return { ...alert, status: 'open' };
  }

  setStatus(id: string, status: AlertStatus, by: string, note?: string): Alert {
    const cur = this.list().alerts.find((a) => a.id === id || a.id.startsWith(id));
    if (!cur) throw new UserInputError(`No alert with id ${id}.`);
    if (cur.status === status) throw new UserInputError(`Alert ${cur.id} is already ${status}.`);
    appendLine(this.file, JSON.stringify({ kind: 'status', id: cur.id, status, by, time: Date.now(), note } satisfies AlertEvent));
    this.store.touch();
    return { ...cur, status, statusBy: by, statusAt: Date.now() };
  }

  list(): { alerts: Alert[]; problems: string[] } {
    let text = '';
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return { alerts: [], problems: [] };
    }
    const byId = new Map<string, Alert>();
    const problems: string[] = [];
    const last = text.lastIndexOf('\n');
    (last >= 0 ? text.slice(0, last).split('\n') : []).forEach((line, i) => {
      if (!line.trim()) return;
      try {
        const e = JSON.parse(line) as AlertEvent;
        if (e.kind === 'raised') byId.set(e.alert.id, { ...e.alert, status: 'open' });
        else if (e.kind === 'status') {
          const a = byId.get(e.id);
          if (a) Object.assign(a, { status: e.status, statusBy: e.by, statusAt: e.time });
        }
      } catch (err) {
        problems.push(`${this.file}: line ${i + 1}: ${(err as Error).message}; skipped`);
      }
    });
    return { alerts: [...byId.values()].sort((a, b) => b.time - a.time), problems };
  }
}
