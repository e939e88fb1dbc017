/** Per-column drift overrides, shared by `mlops drift --column` and `monitoring.monitors[].columns` in mlops.yaml. */
import { UserInputError } from '../util/errors';
import { DRIFT_METHODS, type DriftMethod, isDriftMethod } from './stats/select';

/**
 * A per-column override as written on the command line or in mlops.yaml: `METHOD`, `METHOD:THRESHOLD` or
 * `:THRESHOLD` (keep the default method). Throws a message naming what is wrong.
 */
export function parseColumnOverride(text: string): { method?: DriftMethod; threshold?: number } {
  const [m, t, extra] = text.split(':');
  if (extra !== undefined) throw new UserInputError(`'${text}': expected METHOD, METHOD:THRESHOLD or :THRESHOLD.`);
  const out: { method?: DriftMethod; threshold?: number } = {};
  if (m) {
    if (!isDriftMethod(m)) throw new UserInputError(`'${m}' is not a drift method (one of ${Object.keys(DRIFT_METHODS).join(', ')}).`);
    out.method = m;
  }
  if (t !== undefined) {
    const n = Number(t);
    if (t.trim() === '' || !(n > 0)) throw new UserInputError(`'${t}' is not a threshold (a number > 0, e.g. 0.05 for a p-value, 0.1 for a distance).`);
    out.threshold = n;
  }
  if (!out.method && out.threshold === undefined) throw new UserInputError(`'${text}': give a method, a threshold or both.`);
  return out;
}
