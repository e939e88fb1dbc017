/**
 * The lifecycle pieces of src/extension that need no editor: the Disposable base (register, dispose once, errors
 * of one item do not stop the others), PanelSet (panels leave by themselves when disposed; disposing the set
 * disposes the panels still open) and DataMessages (unchanged data is not posted again; a fresh start is, with
 * the settings and the command's time once).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Disposable, disposeAll } from '../../src/extension/util/dispose';
import { DataMessages } from '../../src/extension/webviews/dataMessages';
import { PanelSet } from '../../src/extension/webviews/panelSet';

class Owner extends Disposable {
  keep<T extends { dispose(): unknown }>(d: T): T {
    return this.register(d);
  }
  get disposed(): boolean {
    return this.isDisposed;
  }
}

/** A panel stand-in: onDidDispose listeners run when it is disposed. */
class FakePanel {
  disposals = 0;
  private listeners: (() => void)[] = [];
  readonly onDidDispose = (listener: () => void) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  dispose(): void {
    this.disposals++;
    for (const l of [...this.listeners]) l();
  }
}

it('Disposable disposes what was registered once, in order, and what is registered after dispose at once', () => {
  const order: string[] = [];
  const owner = new Owner();
  owner.keep({ dispose: () => order.push('a') });
  owner.keep({ dispose: () => order.push('b') });
  assert.equal(owner.disposed, false);
  owner.dispose();
  owner.dispose();
  assert.deepEqual(order, ['a', 'b']);
  assert.equal(owner.disposed, true);
  owner.keep({ dispose: () => order.push('late') });
  assert.deepEqual(order, ['a', 'b', 'late']);
});

it('disposeAll disposes every item even when some throw, then throws the first error or an AggregateError', () => {
  const done: number[] = [];
  const boom = (n: number) => ({ dispose: () => { throw new Error(`boom ${n}`); } });
  assert.throws(() => disposeAll([boom(1), { dispose: () => done.push(2) }]), /boom 1/);
  assert.deepEqual(done, [2]);
  assert.throws(() => disposeAll([boom(1), boom(2), { dispose: () => done.push(3) }]), (e: unknown) => e instanceof AggregateError && e.errors.length === 2);
  assert.deepEqual(done, [2, 3]);
});

it('PanelSet: a disposed panel leaves the set; touch moves a panel to the front; disposing the set disposes the rest', () => {
  const set = new PanelSet<FakePanel>();
  const [a, b, c] = [new FakePanel(), new FakePanel(), new FakePanel()];
  for (const p of [a, b, c]) set.add(p);
  assert.deepEqual(set.all(), [a, b, c], 'the open order');
  set.touch(c);
  assert.deepEqual(set.all(), [c, a, b]);
  b.dispose();
  assert.deepEqual(set.all(), [c, a], 'b left when its tab closed');
  assert.equal(set.find((p) => p === a), a);
  set.dispose();
  assert.deepEqual([a.disposals, b.disposals, c.disposals], [1, 1, 1], 'each panel disposed once');
  assert.deepEqual(set.all(), []);
});

it('DataMessages: only changed data is posted, except a fresh start, which carries the settings and the time once', () => {
  type Msg = { type: 'data'; value: number; settings?: string; requestedAt?: number };
  const data = new DataMessages<string>(1234);
  data.restart();
  assert.deepEqual(data.next<Msg>({ type: 'data', value: 1 }, 'S'), { type: 'data', value: 1, settings: 'S', requestedAt: 1234 });
  assert.equal(data.next<Msg>({ type: 'data', value: 1 }, 'S'), undefined, 'unchanged: not posted again');
  assert.deepEqual(data.next<Msg>({ type: 'data', value: 2 }, 'S'), { type: 'data', value: 2 }, 'an update: no settings, no time');
  data.restart();
  assert.deepEqual(data.next<Msg>({ type: 'data', value: 2 }, 'T'), { type: 'data', value: 2, settings: 'T' }, 'the webview restarted: sent again, the time only once');
});
