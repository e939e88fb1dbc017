/** chart.js pieces both chart apps (Compare Runs, the drift report) use. */
import type { Plugin } from 'chart.js';

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
