/**
 * Python scripts that log into a tracking server with the real MLflow client (run with runMlflowPython(script, [url])).
 * Each prints one JSON line: the ids and values it logged, which the tests compare with what the source reads.
 */

/** Two experiments (and one whose artifacts bypass the proxy, under argv[2]), runs with params, stepped metrics, unicode/HTML tags, a text and a PNG artifact, a nested run,
 *  failed/killed/running/deleted runs, a 30,000-point history, model YieldPredictor v1 Archived, v2 Production
 *  (alias champion), v3 Staging (alias challenger), and a model without versions. */
export const SEED_PY = String.raw`
import json, math, os, struct, sys, tempfile, zlib
import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

uri = sys.argv[1]
mlflow.set_tracking_uri(uri)
c = MlflowClient(uri)
tmp = tempfile.mkdtemp()
out = {"runs": {}}

exp = c.create_experiment("wafer-yield", tags={"team": "fab", "purpose": "sweeps"})
exp2 = c.create_experiment("données-été ✓")
out["experiments"] = {"wafer-yield": exp, "données-été ✓": exp2}

def png_bytes():
    w, h = 3, 2
    rows = b"".join(b"\x00" + b"".join(bytes([(x * 80) % 256, (y * 120) % 256, 200]) for x in range(w)) for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")

rmse = [3.5, 3.1, 2.9, 2.75]
with mlflow.start_run(experiment_id=exp, run_name="sweep-1") as r:
    mlflow.log_params({"max_depth": "10", "learning_rate": "0.1", "model type": "random forest"})
    for s, v in enumerate(rmse):
        mlflow.log_metric("rmse_val", v, step=s)
    mlflow.log_metric("acc", 0.91)
    mlflow.log_metric("nan_metric", float("nan"))
    mlflow.set_tags({"team": "yield", "html": "<b>bold</b> & <script>alert('x')</script>", "unicode": "données été ✓ 🚀 日本語"})
    with open(os.path.join(tmp, "notes.txt"), "w", encoding="utf-8") as f:
        f.write("hello\nwörld ✓\n")
    mlflow.log_artifact(os.path.join(tmp, "notes.txt"))
    png = png_bytes()
    with open(os.path.join(tmp, "plot.png"), "wb") as f:
        f.write(png)
    mlflow.log_artifact(os.path.join(tmp, "plot.png"), "plots")
    out["runs"]["sweep-1"] = r.info.run_id
    out["png"] = list(png)

with mlflow.start_run(experiment_id=exp, run_name="sweep-2") as r:
    mlflow.log_params({"max_depth": "5", "learning_rate": "0.3", "model type": "gbm"})
    for s, v in enumerate([3.9, 3.4, 3.3, 3.2]):
        mlflow.log_metric("rmse_val", v, step=s)
    mlflow.set_tags({"team": "yield-β", "unicode": "ÉTÉ"})
    out["runs"]["sweep-2"] = r.info.run_id

with mlflow.start_run(experiment_id=exp, run_name="parent") as p:
    mlflow.log_param("kind", "parent")
    with mlflow.start_run(experiment_id=exp, run_name="child", nested=True) as ch:
        mlflow.log_param("kind", "child")
        mlflow.log_metric("rmse_val", 2.5)
        out["runs"]["child"] = ch.info.run_id
    out["runs"]["parent"] = p.info.run_id

r = c.create_run(exp, run_name="failed-run")
c.log_param(r.info.run_id, "max_depth", "20")
c.log_metric(r.info.run_id, "rmse_val", 9.5)
c.set_terminated(r.info.run_id, "FAILED")
out["runs"]["failed-run"] = r.info.run_id

r = c.create_run(exp, run_name="killed-run")
c.set_terminated(r.info.run_id, "KILLED")
out["runs"]["killed-run"] = r.info.run_id

r = c.create_run(exp, run_name="running-run", tags={"mlflow.note.content": "still going"})
out["runs"]["running-run"] = r.info.run_id

r = c.create_run(exp, run_name="deleted-run")
c.set_terminated(r.info.run_id, "FINISHED")
c.delete_run(r.info.run_id)
out["runs"]["deleted-run"] = r.info.run_id

with mlflow.start_run(experiment_id=exp2, run_name="run-été") as r:
    mlflow.log_param("ville", "Zürich")
    mlflow.log_metric("rmse_val", 4.0)
    out["runs"]["run-été"] = r.info.run_id

# A long history: 30,000 points (more than the 25,000 get-history page the Python client asks for).
r = c.create_run(exp, run_name="long-history")
N = 30000
for start in range(0, N, 1000):
    c.log_batch(r.info.run_id, metrics=[Metric("loss", 1.0 / (i + 1), 1700000000000 + i, i) for i in range(start, min(N, start + 1000))])
c.set_terminated(r.info.run_id, "FINISHED")
out["runs"]["long-history"] = r.info.run_id
out["longHistory"] = N

# An experiment whose artifacts the client writes straight to a folder (not through the server's proxy): the server
# serves them with /get-artifact. argv[2]: a folder the server can read.
direct = c.create_experiment("direct-artifacts", artifact_location="file://" + os.path.join(sys.argv[2], "direct-artifacts"))
with mlflow.start_run(experiment_id=direct, run_name="direct") as r:
    with open(os.path.join(tmp, "direct.txt"), "w", encoding="utf-8") as f:
        f.write("written straight to the store ✓")
    mlflow.log_artifact(os.path.join(tmp, "direct.txt"), "out")
    out["runs"]["direct"] = r.info.run_id
out["experiments"]["direct-artifacts"] = direct

sweep = out["runs"]["sweep-1"]
c.create_registered_model("YieldPredictor", tags={"owner": "fab-ml"}, description="Predicts wafer yield")
for i in range(3):
    c.create_model_version("YieldPredictor", f"runs:/{sweep}/model", run_id=sweep, description=f"version {i + 1}")
c.transition_model_version_stage("YieldPredictor", "1", "Archived")
c.transition_model_version_stage("YieldPredictor", "2", "Production")
c.transition_model_version_stage("YieldPredictor", "3", "Staging")
c.set_registered_model_alias("YieldPredictor", "champion", "2")
c.set_registered_model_alias("YieldPredictor", "challenger", "3")
c.set_model_version_tag("YieldPredictor", "2", "validated", "yes ✓")
c.create_registered_model("EmptyModel")

print(json.dumps(out))
`;

/** `bulk-NNNN` runs in experiment "bulk" (argv[2] of them), start times one second apart, tags parity and i;
 *  one create_run per run (the fastest the client logs through a server). */
export const BULK_PY = String.raw`
import json, sys, time
from mlflow import MlflowClient
uri, n = sys.argv[1], int(sys.argv[2])
c = MlflowClient(uri)
exp = c.create_experiment("bulk")
t0 = time.time()
ids = []
for i in range(n):
    r = c.create_run(exp, run_name="bulk-%04d" % i, start_time=1700000000000 + i * 1000,
                     tags={"parity": "even" if i % 2 == 0 else "odd", "i": str(i)})
    ids.append(r.info.run_id)
print(json.dumps({"experiment": exp, "ids": ids, "seconds": time.time() - t0}))
`;

/** Deletes the run argv[2]. */
export const DELETE_RUN_PY = String.raw`
import json, sys
from mlflow import MlflowClient
MlflowClient(sys.argv[1]).delete_run(sys.argv[2])
print(json.dumps({"deleted": sys.argv[2]}))
`;

/** The same reads timed with MLflow's own Python client (import time excluded): argv experiment id, run id, metric. */
export const PY_CLIENT_TIMING_PY = String.raw`
import json, sys, time
from mlflow import MlflowClient
c = MlflowClient(sys.argv[1])
exp, run, key = sys.argv[2], sys.argv[3], sys.argv[4]
t = time.time(); first = c.search_runs([exp], max_results=1000); first_ms = (time.time() - t) * 1000
t = time.time(); n = 0; token = None
while True:
    page = c.search_runs([exp], max_results=1000, page_token=token)
    n += len(page); token = page.token
    if not token:
        break
all_ms = (time.time() - t) * 1000
t = time.time(); h = c.get_metric_history(run, key); history_ms = (time.time() - t) * 1000
print(json.dumps({"firstMs": round(first_ms), "allMs": round(all_ms), "runs": n, "historyMs": round(history_ms), "points": len(h)}))
`;
