/**
 * MLflow's meta.yaml files (written by PyYAML's safe_dump): mostly flat `key: scalar` lines. Those are read by a
 * line parser — the `yaml` library takes about 0.5 ms per file, which is 5 s for a store of 10,000 runs — and anything
 * else (indentation, double quotes, block scalars, comments, anchors) by the `yaml` library. Both give the same
 * values: integers as BigInt (experiment ids have 18 digits), `null`, booleans, floats, strings.
 */
import YAML from 'yaml';

export type Yaml = Record<string, unknown>;

const LINE = /^([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$/;
const SINGLE_QUOTED = /^'((?:[^']|'')*)'$/;
const INT = /^[-+]?\d+$/;
const FLOAT = /^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/;
/** Plain scalars the line parser leaves to the library (quoting, flow collections, tags, anchors, comments…). */
const SPECIAL_START = /^["[{&*!|>%@`#,?:-]/;
const FALLBACK = Symbol('fallback');

function scalar(v: string): unknown {
  if (v === '' || v === '~' || v === 'null' || v === 'Null' || v === 'NULL') return null;
  if (v === '[]') return [];
  if (v === '{}') return {};
  const quoted = SINGLE_QUOTED.exec(v);
  if (quoted) return quoted[1].replace(/''/g, "'");
  if (SPECIAL_START.test(v) || v.includes(': ') || v.includes(' #') || v.endsWith(':') || v.includes("'") || v.includes('\t')) return FALLBACK;
  if (v === 'true' || v === 'True' || v === 'TRUE') return true;
  if (v === 'false' || v === 'False' || v === 'FALSE') return false;
  if (INT.test(v)) return BigInt(v);
  if (FLOAT.test(v)) return Number(v);
  if (/^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/.test(v)) return FALLBACK;
  return v;
}

/** The flat mapping of a meta.yaml, or undefined when it needs the full YAML parser. */
export function parseFlatYaml(text: string): Yaml | undefined {
  const out: Yaml = {};
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) return undefined;
    const value = scalar((m[2] ?? '').trim());
    if (value === FALLBACK) return undefined;
    out[m[1]] = value;
  }
  return out;
}

/** A meta.yaml as a mapping; throws (with the parser's message) when it is not one. */
export function parseMetaYaml(text: string): Yaml {
  const flat = parseFlatYaml(text);
  if (flat && Object.keys(flat).length) return flat;
  const doc = YAML.parse(text, { intAsBigInt: true }) as unknown;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(text.trim() === '' ? 'the file is empty' : 'not a YAML mapping');
  return doc as Yaml;
}

/**
 * A flat meta.yaml as MLflow's FileStore writes it (PyYAML, keys sorted): integers plain, null, `[]`, text in double
 * quotes (JSON's escaping is YAML's, so any name — unicode, quotes, colons — reads back as written).
 */
export function dumpMetaYaml(fields: Record<string, string | number | bigint | null | [] | Record<string, string>>): string {
  const lines: string[] = [];
  for (const key of Object.keys(fields).sort()) {
    const v = fields[key];
    if (v === null) lines.push(`${key}: null`);
    else if (Array.isArray(v)) lines.push(`${key}: []`);
    else if (typeof v === 'object') {
      const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1));
      lines.push(entries.length ? `${key}:` : `${key}: {}`, ...entries.map(([k, x]) => `  ${yamlString(k)}: ${yamlString(x)}`));
    } else lines.push(`${key}: ${typeof v === 'string' ? yamlString(v) : String(v)}`);
  }
  return lines.join('\n') + '\n';
}

/** A double-quoted YAML scalar; DEL and C1 controls escaped too (PyYAML refuses them raw). */
function yamlString(s: string): string {
  return JSON.stringify(s).replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
