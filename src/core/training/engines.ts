/** The available engines by name. `forest` (ours, fast) is the default; `mljs` is ml-random-forest. */
import { UserInputError } from '../util/errors';
import type { Engine, EngineName } from './engine';
import { forestEngine } from './forest';
import { mljsEngine } from './mljs';

const registry = new Map<EngineName, Engine>([
  ['forest', forestEngine],
  ['mljs', mljsEngine],
]);

export function registerEngine(e: Engine): void {
  registry.set(e.name, e);
}

export function engine(name: EngineName): Engine {
  const e = registry.get(name);
  if (!e) throw new UserInputError(`The '${name}' engine is not available in this build.`);
  return e;
}

export function defaultEngineName(): EngineName {
  return registry.has('forest') ? 'forest' : 'mljs';
}
