/**
 * Model URIs, resolved wherever a model is needed:
 *   models:/NAME/VERSION   models:/NAME/Production (Staging, None, Archived)   models:/NAME@ALIAS   models:/NAME/latest
 * A stage holding several versions resolves to the highest version in it (as MLflow does); `latest` is the highest
 * version number. An unknown name, version, stage or alias is a clear error.
 */
import { loadModelFrom, LoadedModel } from '../training/modelBundle';
import { printable } from '../store/names';
import { UserInputError } from '../util/errors';
import { ModelVersion, Registry, STAGES } from './registry';

export function parseModelUri(uri: string): { name: string; version?: number; stage?: string; alias?: string; latest?: boolean } {
  const m = /^models:\/([^/@]+)(?:\/([^/]+)|@([^/]+))$/.exec(uri.trim());
  if (!m) throw new UserInputError(`Invalid model URI '${printable(uri)}': use models:/NAME/VERSION, models:/NAME/Production, models:/NAME@ALIAS or models:/NAME/latest.`);
  const name = decodeUriPart(uri, m[1]);
  if (m[3]) return { name, alias: m[3] };
  const ref = m[2];
  if (/^\d+$/.test(ref)) return { name, version: Number(ref) };
  if (ref.toLowerCase() === 'latest') return { name, latest: true };
  const stage = STAGES.find((s) => s.toLowerCase() === ref.toLowerCase());
  if (!stage) throw new UserInputError(`Unknown stage or version '${ref}' in '${uri}': use a version number, ${STAGES.join(', ')}, or latest.`);
  return { name, stage };
}

/** Percent-decoding of the model name; a bad escape (`%E0%A4%A`, `%ZZ`, half a UTF-8 character) is bad input. */
function decodeUriPart(uri: string, part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    const bad = /%(?![0-9A-Fa-f]{2})/.exec(part);
    const where = bad ? `'%' at character ${uri.indexOf(part) + bad.index + 1} is not followed by two hex digits` : 'its percent-escapes do not spell valid UTF-8';
    throw new UserInputError(`Invalid model URI '${printable(uri)}': the model name '${printable(part)}' is not valid percent-encoding (${where}).`);
  }
}

export function resolveModelUri(registry: Registry, uri: string): ModelVersion {
  const p = parseModelUri(uri);
  const m = registry.getModel(p.name);
  return pickVersion(m, p, uri);
}

export function loadModelByUri(registry: Registry, uri: string): { version: ModelVersion; loaded: LoadedModel } {
  const version = resolveModelUri(registry, uri);
  if (version.format === 'mlflow') throw new UserInputError(`${version.model} v${version.version} is an MLflow model pulled from MLflow (its MLmodel files are in ${registry.artifactDir(version)}); the workbench serves only the models it trains.`);
  const loaded = loadModelFrom(registry.artifactDir(version));
  if (loaded.meta.binSha256 !== version.modelSha256) throw new UserInputError(`The registered artifact of ${version.model} v${version.version} does not match its recorded SHA-256.`);
  return { version, loaded };
}

/**
 * The version a parsed model URI names — by number, alias, latest or stage — with the same rules and messages for the
 * workspace registry and an MLflow source's registry.
 */
export function pickVersion<V extends { version: number; stage: string }>(m: { versions: V[]; aliases: Record<string, number> }, p: ReturnType<typeof parseModelUri>, uri: string): V {
  let v: V | undefined;
  if (p.version !== undefined) {
    v = m.versions.find((x) => x.version === p.version);
    if (!v) throw new UserInputError(`Model '${p.name}' has no version ${p.version} (versions: ${m.versions.map((x) => x.version).join(', ')}).`);
  } else if (p.alias) {
    const n = m.aliases[p.alias];
    if (n === undefined) throw new UserInputError(`Model '${p.name}' has no alias '${p.alias}'${Object.keys(m.aliases).length ? ` (aliases: ${Object.keys(m.aliases).join(', ')})` : ''}.`);
    v = m.versions.find((x) => x.version === n);
  } else if (p.latest) {
    v = m.versions.reduce<V | undefined>((a, b) => (!a || b.version > a.version ? b : a), undefined);
  } else {
    const inStage = m.versions.filter((x) => x.stage === p.stage);
    if (!inStage.length) throw new UserInputError(`Model '${p.name}' has no version in ${p.stage}.`);
    v = inStage.reduce((a, b) => (b.version > a.version ? b : a));
  }
  if (!v) throw new UserInputError(`Model URI '${uri}' does not resolve to a version.`);
  return v;
}
