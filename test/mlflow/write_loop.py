"""Logs runs into an MLflow SQLite store in a loop with the real client, each with many params, metrics and tags in
large transactions (so that a reader that copied the file mid-write would see a torn or partial state). Prints `ready`
once the database exists, `run N` after each finished run, `done` at the end. PAUSE seconds between runs (as a training
loop logs now and then) keep the loop long enough for a reader to look at it many times on a fast machine.
Usage: python write_loop.py DB RUNS PARAMS METRICS [PAUSE]"""
import os, sys, time, warnings
warnings.filterwarnings("ignore")
import logging
logging.disable(logging.WARNING)
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

db, runs, n_params, n_metrics = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
pause = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
# The client splits a log_batch into store calls of at most 100 params and 1000 entities: within these limits the
# params, the metrics and the tags each commit whole, in one transaction (SqlAlchemyStore.log_batch).
assert n_params <= 100 and n_params + n_metrics + 2 <= 1000, "keep each kind in one transaction"
c = MlflowClient(tracking_uri="sqlite:///" + os.path.abspath(db))
exp = c.create_experiment("loop", artifact_location="file://" + os.path.join(os.path.dirname(os.path.abspath(db)), "artifacts"))
print("ready", flush=True)
for i in range(runs):
    r = c.create_run(exp, run_name=f"loop-{i:03d}")
    rid = r.info.run_id
    # One store-level log_batch: the params commit in one transaction, the metrics in another, the tags in a third.
    c.log_batch(rid,
                metrics=[Metric(f"m{k:03d}", i + k / 1000, 1_700_000_000_000 + i, 0) for k in range(n_metrics)],
                params=[Param(f"p{k:03d}", f"{i}-{k}-" + "x" * 180) for k in range(n_params)],
                tags=[RunTag("batch", str(i)), RunTag("filler", "y" * 4000)])
    c.set_terminated(rid, "FINISHED")
    print("run", i, flush=True)
    time.sleep(pause)
print("done", flush=True)
