import { fmtValue } from '../../src/shared/format';
export { fmtValue };
/**
 * A tiny element builder. Text is always set with textContent (never innerHTML), so run names, param values
 * and tags from users show as text: `<img src=x onerror=alert(1)>` stays a string.
 */
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined | ((e: Event) => void)> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, '').toLowerCase(), v as EventListener);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: (Child | Child[])[]): void {
  for (const c of children) {
    if (Array.isArray(c)) append(el, c);
    else if (c === null || c === undefined || c === false) continue;
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}


/** The `data-fk` key of the focused control, so a redraw can give focus back to the same control. */
export function focusKey(): string | null {
  const a = document.activeElement as HTMLElement | null;
  return a?.closest?.('[data-fk]')?.getAttribute('data-fk') ?? null;
}

/** After a redraw inside `root`: focus the control with that `data-fk` key again, unless focus is already in `root`. */
export function restoreFocus(root: HTMLElement, key: string | null): void {
  if (!key) return;
  const a = document.activeElement;
  if (a && a !== document.body && root.contains(a)) return;
  const el = [...root.querySelectorAll('[data-fk]')].find((e) => e.getAttribute('data-fk') === key) as HTMLElement | undefined;
  el?.focus();
}
