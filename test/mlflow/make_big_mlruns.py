"""Writes the runs of an MLflow SQLite store (e.g. make_big_sqlite.py's) as an MLflow file store, in MLflow's own
file-store layout (as mlflow.store.tracking.file_store.FileStore writes it: experiment and run meta.yaml, params/,
tags/, metrics/ lines `timestamp value step`), far faster than logging through the client. Runs, params, tags and
every metric point are copied; the result reads back through MLflow's FileStore the same as the database.
Usage: python make_big_mlruns.py IN.db OUT_MLRUNS_DIR"""
import os, shutil, sqlite3, sys

src, out = sys.argv[1], sys.argv[2]
if os.path.exists(out):
    shutil.rmtree(out)
os.makedirs(os.path.join(out, ".trash"))
c = sqlite3.connect(src)

STATUS = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def q(s):
    # A YAML single-quoted scalar.
    return "'" + str(s).replace("'", "''") + "'"


exps = c.execute("select experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time from experiments").fetchall()
for exp_id, name, loc, stage, created, updated in exps:
    d = os.path.join(out, str(exp_id))
    os.makedirs(d)
    write(os.path.join(d, "meta.yaml"), f"artifact_location: {q('file://' + os.path.abspath(d))}\ncreation_time: {created or 0}\nexperiment_id: {q(exp_id)}\n"
          f"last_update_time: {updated or 0}\nlifecycle_stage: {stage}\nname: {q(name)}\n")

by_run = {}
for key, value, rid in c.execute("select key, value, run_uuid from params"):
    by_run.setdefault(rid, [[], [], {}])[0].append((key, value))
for key, value, rid in c.execute("select key, value, run_uuid from tags"):
    by_run.setdefault(rid, [[], [], {}])[1].append((key, value))
for key, value, ts, rid, step, is_nan in c.execute("select key, value, timestamp, run_uuid, step, is_nan from metrics order by run_uuid, key, step, timestamp"):
    by_run.setdefault(rid, [[], [], {}])[2].setdefault(key, []).append(f"{ts} {'nan' if is_nan else repr(float(value))} {step}\n")

n = 0
for rid, name, status, start, end, stage, exp_id, user in c.execute("select run_uuid, name, status, start_time, end_time, lifecycle_stage, experiment_id, user_id from runs"):
    d = os.path.join(out, str(exp_id), rid)
    for sub in ("params", "tags", "metrics", "artifacts"):
        os.makedirs(os.path.join(d, sub))
    write(os.path.join(d, "meta.yaml"), f"artifact_uri: {q('file://' + os.path.abspath(os.path.join(d, 'artifacts')))}\nend_time: {end if end is not None else 'null'}\n"
          f"entry_point_name: ''\nexperiment_id: {q(exp_id)}\nlifecycle_stage: {stage}\nrun_id: {rid}\nrun_name: {q(name)}\nrun_uuid: {rid}\n"
          f"source_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: {start}\nstatus: {STATUS.get(status, 3)}\ntags: []\nuser_id: {q(user or '')}\n")
    params, tags, metrics = by_run.get(rid, [[], [], {}])
    for k, v in params:
        write(os.path.join(d, "params", k), v if v is not None else "")
    for k, v in tags:
        write(os.path.join(d, "tags", k), v if v is not None else "")
    for k, lines in metrics.items():
        write(os.path.join(d, "metrics", k), "".join(lines))
    n += 1
print(out, n, "runs")
