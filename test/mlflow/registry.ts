/**
 * Python scripts for the registry-write tests (run with runMlflowPython): the real MLflow client sets a model up, reads
 * it back (what another MLflow user would see), and changes it behind the workbench's back. Each prints one JSON line.
 */

/** argv: url. Two runs that logged a model folder (`model/MLmodel`), one without; prints their ids. */
export const RUNS_PY = String.raw`
import json, os, sys, tempfile
import mlflow
mlflow.set_tracking_uri(sys.argv[1])
exp = mlflow.set_experiment("registry-writes")
tmp = tempfile.mkdtemp()
os.makedirs(os.path.join(tmp, "model"))
with open(os.path.join(tmp, "model", "MLmodel"), "w") as f:
    f.write("flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n")
out = {}
for name in ["trained-a", "trained-b"]:
    with mlflow.start_run(run_name=name) as r:
        mlflow.log_metric("rmse_val", 2.5)
        mlflow.log_artifacts(os.path.join(tmp, "model"), artifact_path="model")
        out[name] = r.info.run_id
with mlflow.start_run(run_name="no-model") as r:
    mlflow.log_param("x", "1")
    out["no-model"] = r.info.run_id
print(json.dumps(out))
`;

/** argv: url, model name, run id. v1 Archived, v2 Production (@champion), v3 Staging (@challenger), as the fixtures. */
export const MODEL_PY = String.raw`
import json, sys
from mlflow import MlflowClient
c = MlflowClient(sys.argv[1])
name, run = sys.argv[2], sys.argv[3]
c.create_registered_model(name, description="Predicts wafer yield")
for i in range(3):
    c.create_model_version(name, f"runs:/{run}/model", run_id=run, description=f"version {i + 1}")
c.transition_model_version_stage(name, "1", "Archived")
c.transition_model_version_stage(name, "2", "Production")
c.transition_model_version_stage(name, "3", "Staging")
c.set_registered_model_alias(name, "champion", "2")
c.set_registered_model_alias(name, "challenger", "3")
print(json.dumps({"ok": True}))
`;

/** argv: url, model name. What MLflow's own client reads: get_registered_model, get_model_version(s), get_model_version_by_alias. */
export const STATE_PY = String.raw`
import json, sys
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
c = MlflowClient(sys.argv[1])
name = sys.argv[2]
m = c.get_registered_model(name)
versions = []
for s in sorted(c.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version)):
    v = c.get_model_version(name, s.version)
    versions.append({"version": int(v.version), "stage": v.current_stage, "aliases": sorted(v.aliases), "description": v.description or "",
                     "tags": v.tags, "status": v.status, "source": v.source, "run_id": v.run_id})
by_alias = {}
for a in sorted(set(list((m.aliases or {}).keys()) + ["champion", "challenger", "candidate"])):
    try:
        by_alias[a] = int(c.get_model_version_by_alias(name, a).version)
    except MlflowException:
        by_alias[a] = None
print(json.dumps({"description": m.description or "", "tags": m.tags, "aliases": {a: int(v) for a, v in (m.aliases or {}).items()}, "byAlias": by_alias, "versions": versions}))
`;

/** argv: url, model name, version, stage. A change made with MLflow's client, not the workbench (archives the others). */
export const TRANSITION_PY = String.raw`
import json, sys
from mlflow import MlflowClient
c = MlflowClient(sys.argv[1])
v = c.transition_model_version_stage(sys.argv[2], sys.argv[3], sys.argv[4], archive_existing_versions=sys.argv[4] in ("Production", "Staging"))
print(json.dumps({"version": int(v.version), "stage": v.current_stage}))
`;

export interface PyVersion {
  version: number;
  stage: string;
  aliases: string[];
  description: string;
  tags: Record<string, string>;
  status: string;
  source: string;
  run_id: string;
}

export interface PyModel {
  description: string;
  tags: Record<string, string>;
  aliases: Record<string, number>;
  byAlias: Record<string, number | null>;
  versions: PyVersion[];
}

/** `[[1, 'Archived'], [2, 'Production'], …]` */
export const stages = (m: PyModel): [number, string][] => m.versions.map((v) => [v.version, v.stage]);
