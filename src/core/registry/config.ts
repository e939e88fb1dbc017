/** The `registry:` section of mlops.yaml: who may promote, and whether promotion archives the old version. */
import type { WorkbenchConfig } from '../config/config';
import { ConfigError } from '../config/config';
import type { RegistryOptions } from './registry';

export function registryOptions(cfg: WorkbenchConfig | undefined): RegistryOptions {
  const raw = cfg?.raw.registry as Record<string, unknown> | null | undefined;
  if (!raw) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(cfg!.file, undefined, undefined, 'registry must be a mapping');
  for (const k of Object.keys(raw)) if (!['promoters', 'archive_on_promote'].includes(k)) throw new ConfigError(cfg!.file, undefined, undefined, `unknown key 'registry.${k}' (known: promoters, archive_on_promote)`);
  const p = raw.promoters;
  if (p !== undefined && p !== null && (!Array.isArray(p) || p.some((x) => typeof x !== 'string'))) throw new ConfigError(cfg!.file, undefined, undefined, 'registry.promoters must be a list of emails or names');
  const a = raw.archive_on_promote;
  if (a !== undefined && typeof a !== 'boolean') throw new ConfigError(cfg!.file, undefined, undefined, 'registry.archive_on_promote must be true or false');
  return { promoters: (p as string[] | undefined) ?? undefined, archiveOnPromote: a as boolean | undefined };
}
