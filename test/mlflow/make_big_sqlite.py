"""Builds a big MLflow SQLite store for timing readers: the schema from the real MLflow (its alembic migrations), rows
bulk-inserted with Python's sqlite3 as MLflow's SqlAlchemyStore writes them (runs, 3 params and 3 tags per run, METRICS
metrics of STEPS steps with their latest_metrics rows) — far faster than logging them through the client.
Usage: python make_big_sqlite.py OUT.db RUNS METRICS STEPS   (10000 10 10: 196 MB, used for src/core/sources/mlflowSqlite/sqlJs.ts)"""
import os, sys, random, sqlite3, uuid
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
out, n_runs, n_metrics, n_steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if os.path.exists(out): os.remove(out)
store = SqlAlchemyStore("sqlite:///" + out, os.path.join(os.path.dirname(out), "artifacts"))
exp_id = store.create_experiment("big")
store.engine.dispose()
c = sqlite3.connect(out)
rnd = random.Random(1); t0 = 1_700_000_000_000
runs, params, tags, metrics, latest = [], [], [], [], []
for i in range(n_runs):
    rid = uuid.UUID(int=rnd.getrandbits(128)).hex
    st = t0 + i * 1000
    runs.append((rid, f"run-{i:05d}", "LOCAL", "", "", "bench", "FINISHED", st, st + 900, "", "active", f"file:///x/{rid}/artifacts", int(exp_id), None))
    for k, v in (("n_estimators", str(rnd.choice([50, 100, 200]))), ("max_depth", str(rnd.choice([5, 10, None]))), ("lr", str(rnd.random()))):
        params.append((k, v, rid))
    for k, v in (("mlflow.runName", f"run-{i:05d}"), ("mlflow.user", "bench"), ("team", "fab")):
        tags.append((k, v, rid))
    for m in range(n_metrics):
        for s in range(n_steps):
            v = rnd.random(); metrics.append((f"m{m}", v, st + s, rid, s, 0))
        latest.append((f"m{m}", v, st + n_steps - 1, n_steps - 1, 0, rid))
c.executemany("insert into runs(run_uuid,name,source_type,source_name,entry_point_name,user_id,status,start_time,end_time,source_version,lifecycle_stage,artifact_uri,experiment_id,deleted_time) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", runs)
c.executemany("insert into params(key,value,run_uuid) values (?,?,?)", params)
c.executemany("insert into tags(key,value,run_uuid) values (?,?,?)", tags)
c.executemany("insert into metrics(key,value,timestamp,run_uuid,step,is_nan) values (?,?,?,?,?,?)", metrics)
c.executemany("insert into latest_metrics(key,value,timestamp,step,is_nan,run_uuid) values (?,?,?,?,?,?)", latest)
c.commit(); c.close()
print(out, os.path.getsize(out), "bytes")
