"""Writes a fresh MLflow file store (OUT/mlruns) and SQLite store (OUT/mlflow.db + OUT/artifacts) with the real MLflow
client, then prints what MLflow's own client reads back from each (JSON on stdout): the tests compare our readers with
exactly that. Usage: python write_stores.py OUT"""
import json, os, sys, warnings
warnings.filterwarnings("ignore")
import logging
logging.disable(logging.WARNING)
import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType

out = os.path.abspath(sys.argv[1])
os.makedirs(out, exist_ok=True)


class Identity(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


def fill(uri, artifact_root):
    mlflow.set_tracking_uri(uri)
    c = MlflowClient()
    exp = c.create_experiment("fresh ✓ <i>x</i>", artifact_location=artifact_root and f"{artifact_root}/fresh")
    c.set_experiment_tag(exp, "owner", "fab ü")
    mlflow.set_experiment(experiment_id=exp)
    ids = []
    for i in range(3):
        with mlflow.start_run(run_name=f"run-{i}") as r:
            mlflow.log_params({"lr": 0.1 * (i + 1), "layers": i + 2, "opt": "adam", "flag": True, "depth": None})
            for step in range(5):
                mlflow.log_metric("loss", 1.0 / (step + 1 + i), step=step)
            mlflow.log_metric("acc", 0.5 + i / 10)
            mlflow.log_metric("val/loss", 0.25 * i, step=2)
            mlflow.set_tags({"team": "fab", "html": "<script>alert(1)</script> & ü ✓", "multi": "line one\nline two"})
            mlflow.log_text(f"hello {i}\n", "notes/hello.txt")
            mlflow.log_dict({"i": i}, "cfg/deep/config.json")
            ids.append(r.info.run_id)
    with mlflow.start_run(run_name="parent"):
        with mlflow.start_run(run_name="kid", nested=True):
            mlflow.log_metric("m", float("nan"))
    killed = c.create_run(exp, run_name="killed")
    c.set_terminated(killed.info.run_id, "KILLED")
    c.create_run(exp, run_name="still-running")
    gone = c.create_run(exp, run_name="gone")
    c.set_terminated(gone.info.run_id)
    c.delete_run(gone.info.run_id)
    doomed = c.create_experiment("doomed", artifact_location=artifact_root and f"{artifact_root}/doomed")
    d = c.create_run(doomed, run_name="in-doomed")
    c.log_param(d.info.run_id, "p", "1")
    c.set_terminated(d.info.run_id)
    c.delete_experiment(doomed)
    with mlflow.start_run(run_id=ids[1]):
        info = mlflow.pyfunc.log_model(artifact_path="model", python_model=Identity(), pip_requirements=["mlflow"])
    c.create_registered_model("Fresh", description="fresh <model> ✓", tags={"domain": "fab"})
    v1 = c.create_model_version("Fresh", info.model_uri, run_id=ids[1], description="first")
    c.transition_model_version_stage("Fresh", v1.version, "Staging")
    c.set_registered_model_alias("Fresh", "best", v1.version)
    c.set_model_version_tag("Fresh", v1.version, "checked", "yes")
    v2 = c.create_model_version("Fresh", info.model_uri, run_id=ids[1])
    c.transition_model_version_stage("Fresh", v2.version, "Production")
    c.set_registered_model_alias("Fresh", "live", v2.version)
    v3 = c.create_model_version("Fresh", info.model_uri, run_id=ids[1])
    c.delete_model_version("Fresh", v3.version)
    return dump(c)


def artifacts(c, run_id, path=None):
    out = []
    for a in c.list_artifacts(run_id, path):
        out.append([a.path, a.is_dir, a.file_size])
        if a.is_dir:
            out.extend(artifacts(c, run_id, a.path))
    return out


def dump(c):
    exps = c.search_experiments(view_type=ViewType.ALL)
    runs = c.search_runs([e.experiment_id for e in exps], run_view_type=ViewType.ALL, max_results=50000)
    res = {"experiments": [{"id": e.experiment_id, "name": e.name, "lifecycle": e.lifecycle_stage, "tags": e.tags} for e in exps], "runs": []}
    for r in runs:
        i = r.info
        res["runs"].append({
            "id": i.run_id, "name": i.run_name, "status": i.status, "lifecycle": i.lifecycle_stage, "experiment_id": i.experiment_id,
            "start_time": i.start_time, "end_time": i.end_time, "params": r.data.params,
            "metrics": {k: (None if v != v else v) for k, v in r.data.metrics.items()}, "tags": r.data.tags,
            "histories": {k: [[m.step, m.timestamp, None if m.value != m.value else m.value] for m in c.get_metric_history(i.run_id, k)] for k in r.data.metrics},
            "artifacts": artifacts(c, i.run_id) if i.lifecycle_stage == "active" else None,
        })
    res["models"] = []
    for m in c.search_registered_models():
        versions = c.search_model_versions(f"name='{m.name}'")
        res["models"].append({"name": m.name, "description": m.description, "tags": m.tags, "aliases": {a: int(v) for a, v in m.aliases.items()},
                              "versions": sorted([{"version": int(v.version), "stage": v.current_stage, "run_id": v.run_id, "source": v.source,
                                                   "aliases": sorted(v.aliases), "tags": v.tags, "description": v.description or ""} for v in versions], key=lambda v: v["version"])})
    return res


result = {
    "mlflow_version": mlflow.__version__,
    "file": fill("file://" + os.path.join(out, "mlruns"), None),
    "sqlite": fill("sqlite:///" + os.path.join(out, "mlflow.db"), "file://" + os.path.join(out, "artifacts")),
}
print(json.dumps(result, ensure_ascii=False))
