/**
 * The sample's train.py: a training script of the user's own kind for **Run Training Command** and
 * `mlops train --command "python3 train.py"`. It reports through the `mlops:` line protocol
 * (src/core/training/commandTrainer.ts). Standard library only (a linear model fitted by gradient descent, its errors
 * logged as a curve), or scikit-learn's RandomForestRegressor when scikit-learn is importable.
 */
export const SAMPLE_TRAIN_PY = `"""Train a wafer-yield model and report it to MLOps Workbench through the \`mlops:\` line protocol.

Run it with MLOps: Run Training Command (command \`python3 train.py\`) or in a terminal:

    mlops train --command "python3 train.py"

It reads data/wafer_yield.csv (or $MLOPS_DATA, target $MLOPS_TARGET, as a pipeline's command trainer sets them),
holds out the last 20 % of the rows as the seed notebook does, and prints lines such as

    mlops:param engine=linear-gd
    mlops:metric rmse_train=3.05 rmse_test=2.98 step=40
    mlops:artifact outputs/model.json

which the workbench records in the run (any other output is the run's log). Hyperparameters come from
$MLOPS_PARAMS (JSON; Run Training Command's and \`mlops train -p KEY=VALUE\`'s params):

  - with scikit-learn importable: a RandomForestRegressor (n_estimators, max_depth, seed), as in the seed notebook;
  - otherwise, standard library only: a linear model fitted by gradient descent on standardised features
    (epochs, learning_rate), with the errors logged every few epochs as a curve.
"""
import csv
import json
import math
import os

DATA = os.environ.get("MLOPS_DATA", os.path.join("data", "wafer_yield.csv"))
TARGET = os.environ.get("MLOPS_TARGET", "yield")
PARAMS = json.loads(os.environ.get("MLOPS_PARAMS") or "{}")


def report(kind, **values):
    pairs = " ".join(f"{k}={v}" for k, v in values.items())
    print(f"mlops:{kind} {pairs}", flush=True)


def load(path, target):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    features = [c for c in rows[0] if c != target]
    x = [[float(r[c]) for c in features] for r in rows]
    y = [float(r[target]) for r in rows]
    return features, x, y


def errors(y, pred):
    n = len(y)
    mean = sum(y) / n
    sse = sum((a - b) ** 2 for a, b in zip(y, pred))
    sst = sum((a - mean) ** 2 for a in y)
    return {"rmse": math.sqrt(sse / n), "mae": sum(abs(a - b) for a, b in zip(y, pred)) / n, "r2": 1 - sse / sst}


def fit_forest(x_train, y_train, x_test):
    from sklearn.ensemble import RandomForestRegressor  # noqa: PLC0415 (optional dependency)

    depth = PARAMS.get("max_depth", 10)
    model = RandomForestRegressor(
        n_estimators=int(PARAMS.get("n_estimators", 100)),
        max_depth=None if depth in (None, "none", "None") else int(depth),
        random_state=int(PARAMS.get("seed", 42)),
    )
    report("param", engine="sklearn-random-forest", n_estimators=model.n_estimators, max_depth=model.max_depth, seed=model.random_state)
    model.fit(x_train, y_train)
    importances = dict(zip(FEATURES, (round(float(v), 6) for v in model.feature_importances_)))
    return list(model.predict(x_train)), list(model.predict(x_test)), {"feature_importances": importances}, None


def fit_linear(x_train, y_train, x_test):
    epochs = int(PARAMS.get("epochs", 100))
    rate = float(PARAMS.get("learning_rate", 0.1))
    report("param", engine="linear-gd", epochs=epochs, learning_rate=rate)
    k = len(x_train[0])
    mean = [sum(r[j] for r in x_train) / len(x_train) for j in range(k)]
    sd = [math.sqrt(sum((r[j] - mean[j]) ** 2 for r in x_train) / len(x_train)) or 1.0 for j in range(k)]
    scale = lambda rows: [[(r[j] - mean[j]) / sd[j] for j in range(k)] for r in rows]  # noqa: E731
    xs, xt = scale(x_train), scale(x_test)
    w, b = [0.0] * k, sum(y_train) / len(y_train)
    predict = lambda rows: [b + sum(wj * v for wj, v in zip(w, r)) for r in rows]  # noqa: E731
    n = len(xs)
    for epoch in range(1, epochs + 1):
        residual = [p - t for p, t in zip(predict(xs), y_train)]
        w = [wj - rate * sum(e * r[j] for e, r in zip(residual, xs)) / n for j, wj in enumerate(w)]
        b -= rate * sum(residual) / n
        if epoch % 5 == 0 or epoch == epochs:
            report("metric", rmse_train=f"{errors(y_train, predict(xs))['rmse']:.6f}", rmse_test=f"{errors(y_test, predict(xt))['rmse']:.6f}", step=epoch)
    # Coefficients in the data's own units: yield = intercept + sum(coef * feature).
    coef = {f: wj / s for f, wj, s in zip(FEATURES, w, sd)}
    intercept = b - sum(wj * m / s for wj, m, s in zip(w, mean, sd))
    return predict(xs), predict(xt), {"intercept": intercept, "coefficients": coef}, epochs


FEATURES, X, Y = load(DATA, TARGET)
split = int(len(X) * 0.8)
x_train, x_test, y_train, y_test = X[:split], X[split:], Y[:split], Y[split:]
print(f"{len(x_train)} training and {len(x_test)} test rows of {DATA}, target {TARGET}")
try:
    import sklearn  # noqa: F401

    fit = fit_forest
except ImportError:
    fit = fit_linear
p_train, p_test, model, last_step = fit(x_train, y_train, x_test)
train_err, test_err = errors(y_train, p_train), errors(y_test, p_test)
final = {"rmse_train": f"{train_err['rmse']:.6f}", "rmse_test": f"{test_err['rmse']:.6f}", "mae_test": f"{test_err['mae']:.6f}", "r2_test": f"{test_err['r2']:.6f}"}
report("metric", **final, **({"step": last_step} if last_step else {}))  # the linear model's curve ends here
os.makedirs("outputs", exist_ok=True)
with open(os.path.join("outputs", "model.json"), "w") as f:
    json.dump({"target": TARGET, "features": FEATURES, **model}, f, indent=2)
print("mlops:artifact outputs/model.json", flush=True)
report("tag", model="wafer-yield")
print(f"test RMSE {test_err['rmse']:.3f}, MAE {test_err['mae']:.3f}, R² {test_err['r2']:.3f}")
`;
