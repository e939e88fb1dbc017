/** chart.js pieces both chart apps (Compare Runs, the drift report) use. */
import type { Plugin } from 'chart.js';
import { h } from './dom';

/** A label shortened to `n` characters with an ellipsis (the full text stays in tooltips and tables). */
export function truncate(s: string, n = 28): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/** Paints the theme's editor background under the chart, so an exported PNG looks like the panel. */
export function background(color: string): Plugin {
  return {
    id: 'mlopsBackground',
    beforeDraw(chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.globalCompositeOperation = 'destination-over';
      ctx.fillStyle = color;
      ctx.fillRect(0, 0, chart.width, chart.height);
      ctx.restore();
    },
  };
}

/** A chart card's "PNG" button (`what` names the chart for the tooltip and screen readers; `key` is its data-fk). */
export function pngButton(what: string, key: string, onclick: (e: Event) => void): HTMLElement {
  return h('vscode-button', { secondary: true, icon: 'desktop-download', class: 'png', title: `Save "${what}" as PNG`, 'aria-label': `Save chart ${what} as PNG`, 'data-fk': key, onclick }, 'PNG');
}
