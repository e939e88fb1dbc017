/**
 * Colours for the charts, all from VS Code's theme variables (the webview host sets them on <html> and swaps
 * them when the theme changes), resolved to concrete colours the canvas understands.
 */

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

export interface ThemeColors {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  fg: string;
  muted: string;
  grid: string;
  bg: string;
  font: string;
  best: string;
  worst: string;
  baseline: string;
  bar: string;
  /** Distinct colours for runs (lines, grouped bars), in order. */
  series: string[];
  /** For colour scales: the best and the worst end, as components. */
  bestRgb: Rgba;
  worstRgb: Rgba;
}

let probe: CanvasRenderingContext2D | null = null;

/** Any CSS colour to its components (via a canvas, which normalises to #rrggbb or rgba()). */
export function parseColor(css: string): Rgba | undefined {
  if (!probe) probe = document.createElement('canvas').getContext('2d');
  if (!probe || !css) return undefined;
  probe.fillStyle = '#000001';
  probe.fillStyle = css;
  const s = String(probe.fillStyle);
  if (s === '#000001' && css.trim().toLowerCase() !== '#000001') return undefined;
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(s);
  if (hex) return { r: parseInt(hex[1], 16), g: parseInt(hex[2], 16), b: parseInt(hex[3], 16), a: 1 };
  const m = /^rgba?\(([^)]+)\)$/.exec(s);
  if (m) {
    const [r, g, b, a] = m[1].split(',').map((x) => Number(x.trim()));
    return { r, g, b, a: Number.isFinite(a) ? a : 1 };
  }
  return undefined;
}

export function rgba(c: Rgba, alpha = c.a): string {
  return `rgba(${Math.round(c.r)}, ${Math.round(c.g)}, ${Math.round(c.b)}, ${alpha})`;
}

export function mix(a: Rgba, b: Rgba, t: number): Rgba {
  return { r: a.r + (b.r - a.r) * t, g: a.g + (b.g - a.g) * t, b: a.b + (b.b - a.b) * t, a: a.a + (b.a - a.a) * t };
}

export function themeKind(): ThemeColors['kind'] {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  return c.contains('vscode-light') ? 'light' : 'dark';
}

export function readTheme(): ThemeColors {
  const cs = getComputedStyle(document.documentElement);
  const v = (names: string[], fallback: string) => {
    for (const n of names) {
      const x = cs.getPropertyValue(n).trim();
      if (x && parseColor(x)) return x;
    }
    return fallback;
  };
  const kind = themeKind();
  const light = kind === 'light' || kind === 'high-contrast-light';
  const fg = v(['--vscode-charts-foreground', '--vscode-editor-foreground', '--vscode-foreground'], light ? '#333333' : '#cccccc');
  const bg = v(['--vscode-editor-background'], light ? '#ffffff' : '#1e1e1e');
  const blue = v(['--vscode-charts-blue'], '#3794ff');
  const red = v(['--vscode-charts-red'], '#f14c4c');
  const green = v(['--vscode-charts-green'], '#89d185');
  const yellow = v(['--vscode-charts-yellow'], '#cca700');
  const orange = v(['--vscode-charts-orange'], '#d18616');
  const purple = v(['--vscode-charts-purple'], '#b180d7');
  const fgRgb = parseColor(fg) ?? { r: 128, g: 128, b: 128, a: 1 };
  const bgRgb = parseColor(bg) ?? { r: 0, g: 0, b: 0, a: 1 };
  const base = [blue, orange, green, red, purple, yellow].map((c) => parseColor(c)!).filter(Boolean);
  // Beyond six runs: the same hues, lightened and darkened toward the foreground and background.
  const series = [...base.map((c) => rgba(c)), ...base.map((c) => rgba(mix(c, fgRgb, 0.4))), ...base.map((c) => rgba(mix(c, bgRgb, 0.45)))];
  return {
    kind,
    fg,
    muted: v(['--vscode-descriptionForeground'], fg),
    grid: v(['--vscode-charts-lines', '--vscode-editorWidget-border', '--vscode-widget-border'], rgba(fgRgb, 0.2)),
    bg,
    font: cs.getPropertyValue('--vscode-font-family').trim() || 'sans-serif',
    best: green,
    worst: red,
    baseline: purple,
    bar: blue,
    series,
    bestRgb: parseColor(green)!,
    worstRgb: parseColor(red)!,
  };
}

/** Call `fn` when the VS Code theme changes (body class or the variables on <html>), debounced. */
export function onThemeChange(fn: () => void): void {
  let timer: number | undefined;
  let last = themeSignature();
  const check = () => {
    timer = undefined;
    const now = themeSignature();
    if (now !== last) {
      last = now;
      fn();
    }
  };
  const obs = new MutationObserver(() => {
    if (timer === undefined) timer = window.setTimeout(check, 60);
  });
  obs.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-id'] });
  obs.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}

function themeSignature(): string {
  const cs = getComputedStyle(document.documentElement);
  return [document.body.className, document.body.getAttribute('data-vscode-theme-id'), ...['--vscode-editor-background', '--vscode-charts-blue', '--vscode-charts-foreground', '--vscode-charts-lines'].map((n) => cs.getPropertyValue(n))].join('|');
}
