#!/usr/bin/env python3
"""scikit-learn reference numbers for the `forest` engine (issue 8). Run with Debian's python3-sklearn:

  /usr/bin/python3 scripts/sklearn-reference.py time --train A.csv --test B.csv [--predict C.csv] \
      --task regression --trees 100 --depth 10 --seeds 0,1,2,3,4
      Fit RandomForestRegressor/Classifier(n_jobs=-1) on A.csv once per seed; print JSON with each fit's
      seconds and test RMSE (or accuracy), and the time to predict C.csv with the last model. The last CSV
      column is the target.

  /usr/bin/python3 scripts/sklearn-reference.py reference DIR
      DIR/manifest.json (written by the bench: `node out/test/bench/index.js forest`) lists data sets (CSV folds),
      configurations and seeds; print JSON with the test metric per seed and its mean for each data set × config.
      The bench saves that output as test/fixtures/sklearn-reference.json with --write-reference, so the unit
      tests can check accuracy parity without scikit-learn installed.

Hyperparameters not given keep scikit-learn's defaults (max_features 1.0 for regression, sqrt for
classification, min_samples_split 2, min_samples_leaf 1, bootstrap True).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return data[:, :-1], data[:, -1]


def max_features_arg(v):
    if v is None or v == "all":
        return 1.0
    if isinstance(v, dict):
        if "fraction" in v:
            return float(v["fraction"])
        return int(v["count"])
    if v in ("sqrt", "log2"):
        return v
    f = float(v)
    return f if f <= 1 else int(f)


def model(task, cfg, seed):
    kw = dict(
        n_estimators=int(cfg.get("n_estimators", 100)),
        max_depth=cfg.get("max_depth"),
        min_samples_split=cfg.get("min_samples_split", 2),
        min_samples_leaf=cfg.get("min_samples_leaf", 1),
        bootstrap=cfg.get("bootstrap", True),
        random_state=seed,
        n_jobs=-1,
    )
    if "max_features" in cfg:
        kw["max_features"] = max_features_arg(cfg["max_features"])
    if task == "regression":
        return RandomForestRegressor(**kw)
    if "criterion" in cfg:
        kw["criterion"] = cfg["criterion"]
    return RandomForestClassifier(**kw)


def score(task, y, p):
    if task == "regression":
        return float(np.sqrt(np.mean((p - y) ** 2)))
    return float(np.mean(p == y))


def cmd_time(a):
    xtr, ytr = load(a.train)
    xte, yte = load(a.test)
    cfg = {"n_estimators": a.trees, "max_depth": a.depth}
    if a.max_features is not None:
        cfg["max_features"] = a.max_features
    fits, metrics = [], []
    m = None
    for seed in [int(s) for s in a.seeds.split(",")]:
        m = model(a.task, cfg, seed)
        t0 = time.perf_counter()
        m.fit(xtr, ytr if a.task == "regression" else ytr.astype(int))
        fits.append(time.perf_counter() - t0)
        metrics.append(score(a.task, yte, m.predict(xte)))
    predict = None
    if a.predict:
        xp, _ = load(a.predict)
        t0 = time.perf_counter()
        m.predict(xp)
        predict = time.perf_counter() - t0
    json.dump({"sklearn": sklearn.__version__, "fit_seconds": fits, "metrics": metrics, "predict_seconds": predict, "cores": os.cpu_count()}, sys.stdout)
    print()


def cmd_reference(a):
    with open(os.path.join(a.dir, "manifest.json")) as f:
        manifest = json.load(f)
    results = []
    for ds in manifest["datasets"]:
        task = ds["task"]
        folds = [(load(os.path.join(a.dir, fo["train"])), load(os.path.join(a.dir, fo["test"]))) for fo in ds["folds"]]
        for cfg in ds["configs"]:
            values = []
            for seed in ds["seeds"]:
                ys, ps = [], []
                for (xtr, ytr), (xte, yte) in folds:
                    m = model(task, cfg, seed)
                    m.fit(xtr, ytr if task == "regression" else ytr.astype(int))
                    ys.append(yte)
                    ps.append(m.predict(xte))
                values.append(score(task, np.concatenate(ys), np.concatenate(ps)))
            results.append({"dataset": ds["name"], "task": task, "config": cfg, "metric": "rmse" if task == "regression" else "accuracy", "seeds": ds["seeds"], "values": values, "mean": float(np.mean(values))})
            print(f"{ds['name']} {json.dumps(cfg)}: {np.mean(values):.5f}", file=sys.stderr)
    json.dump({"generator": "scripts/sklearn-reference.py", "sklearn": sklearn.__version__, "numpy": np.__version__, "results": results}, sys.stdout, indent=1)
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("time")
    t.add_argument("--train", required=True)
    t.add_argument("--test", required=True)
    t.add_argument("--task", default="regression", choices=["regression", "classification"])
    t.add_argument("--trees", type=int, default=100)
    t.add_argument("--depth", type=lambda v: None if v in ("none", "None", "null") else int(v), default=10)
    t.add_argument("--max-features", default=None)
    t.add_argument("--predict", default=None)
    t.add_argument("--seeds", default="0")
    r = sub.add_parser("reference")
    r.add_argument("dir")
    a = ap.parse_args()
    if a.cmd == "time":
        cmd_time(a)
    else:
        cmd_reference(a)


if __name__ == "__main__":
    main()
