/**
 * The registry of an `mlflow.db`, written for `mlops push --models` through the `sqlite3` program (./sqliteCli.ts), in
 * the rows MLflow's SqlAlchemyModelRegistryStore writes: registered_models, model_versions (the next number taken
 * inside the transaction that inserts it, with its tags, so a version never exists without `mlops.version`),
 * model_version_tags and registered_model_aliases.
 */
import { SourceError } from '../types';
import type { ModelWriter, TargetModelVersion } from '../writeTypes';
import { runSql, sqlInt, sqlText } from './sqliteCli';

const TABLES: Record<string, string[]> = {
  registered_models: ['name', 'creation_time', 'last_updated_time', 'description'],
  model_versions: ['name', 'version', 'creation_time', 'last_updated_time', 'description', 'user_id', 'current_stage', 'source', 'run_id', 'status', 'status_message', 'run_link', 'storage_location'],
  model_version_tags: ['key', 'value', 'name', 'version'],
  registered_model_aliases: ['alias', 'version', 'name'],
};

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export class SqliteModelWriter implements ModelWriter {
  private checked?: Promise<void>;

  constructor(private readonly file: string) {}

  private sql(sql: string): Promise<Record<string, unknown>[]> {
    return runSql(this.file, sql);
  }

  /** Once: the registry tables and columns we write exist (MLflow ≥ 2.3 has them all). */
  private check(): Promise<void> {
    this.checked ??= (async () => {
      const names = Object.keys(TABLES).map(sqlText).join(', ');
      const cols = await this.sql(`SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name IN (${names});`);
      for (const [table, wanted] of Object.entries(TABLES)) {
        const missing = wanted.filter((w) => !cols.some((c) => c.t === table && c.c === w));
        if (missing.length) throw new SourceError('schema', `${this.file}: table ${table} has no column ${missing.join(', ')} (run \`mlflow db upgrade\` on it, or push the models to a tracking server)`, this.file);
      }
    })();
    return this.checked;
  }

  async ensureModel(name: string, description: string): Promise<void> {
    await this.check();
    const now = Date.now();
    await this.sql(`INSERT OR IGNORE INTO registered_models (name, creation_time, last_updated_time, description) VALUES (${sqlText(name)}, ${now}, ${now}, ${description ? sqlText(description) : 'NULL'});`);
  }

  async listVersions(name: string): Promise<TargetModelVersion[]> {
    await this.check();
    const rows = await this.sql(`SELECT v.version AS version, v.current_stage AS stage, v.run_id AS run_id, v.source AS source,
  (SELECT json_group_object(t.key, t.value) FROM model_version_tags t WHERE t.name = v.name AND t.version = v.version) AS tags,
  (SELECT json_group_array(a.alias) FROM registered_model_aliases a WHERE a.name = v.name AND a.version = v.version) AS aliases
FROM model_versions v WHERE v.name = ${sqlText(name)} AND COALESCE(v.current_stage, '') <> 'Deleted_Internal' ORDER BY v.version;`);
    return rows.map((r) => ({
      name, version: Number(r.version), stage: str(r.stage) || 'None', aliases: (JSON.parse(str(r.aliases) || '[]') as string[]).sort(),
      ...(r.run_id ? { runId: str(r.run_id) } : {}), ...(r.source ? { source: str(r.source) } : {}), tags: JSON.parse(str(r.tags) || '{}') as Record<string, string>,
    }));
  }

  async createVersion(name: string, init: { source: string; runId: string; description: string; tags: Record<string, string> }): Promise<TargetModelVersion> {
    await this.check();
    const n = sqlText(name);
    const now = Date.now();
    const latest = `(SELECT MAX(version) FROM model_versions WHERE name = ${n})`;
    const tags = Object.entries(init.tags).map(([k, v]) => `INSERT INTO model_version_tags (key, value, name, version) VALUES (${sqlText(k)}, ${sqlText(v)}, ${n}, ${latest});`);
    const rows = await this.sql(`BEGIN IMMEDIATE;
INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id, status, status_message, run_link, storage_location)
  VALUES (${n}, COALESCE(${latest}, 0) + 1, ${now}, ${now}, ${init.description ? sqlText(init.description) : 'NULL'}, NULL, 'None', ${sqlText(init.source)}, ${sqlText(init.runId)}, 'READY', NULL, NULL, ${sqlText(init.source)});
${tags.join('\n')}
UPDATE registered_models SET last_updated_time = ${now} WHERE name = ${n};
COMMIT;
SELECT MAX(version) AS version FROM model_versions WHERE name = ${n};`);
    return { name, version: Number(rows[0]?.version), stage: 'None', aliases: [], runId: init.runId, source: init.source, tags: { ...init.tags } };
  }

  async setVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    await this.sql(`INSERT OR REPLACE INTO model_version_tags (key, value, name, version) VALUES (${sqlText(key)}, ${sqlText(value)}, ${sqlText(name)}, ${sqlInt(version)});`);
  }

  async transitionStage(name: string, version: number, stage: string): Promise<void> {
    await this.sql(`UPDATE model_versions SET current_stage = ${sqlText(stage)}, last_updated_time = ${Date.now()} WHERE name = ${sqlText(name)} AND version = ${sqlInt(version)};`);
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    await this.sql(`INSERT OR REPLACE INTO registered_model_aliases (alias, version, name) VALUES (${sqlText(alias)}, ${sqlInt(version)}, ${sqlText(name)});`);
  }
}
