#!/usr/bin/env python3
"""Reference values for driftscan's model-performance metrics, from scikit-learn.

Each case stores its inputs (generated with numpy.random.default_rng(seed), every probability and
value rounded with round(x, 6) before it is stored and before any metric is computed on it, so
the stored inputs give exactly the metrics stored with them) and, under "expected":

  * "binary" (classes [0, 1], positive class classes[1]; y_true and y_pred 0/1 integers,
    y_pred_proba the positive class's probability per row):
      - roc_auc = sklearn.metrics.roc_auc_score(y_true, y_pred_proba); null when y_true holds one
        class only;
      - accuracy = accuracy_score(y_true, y_pred);
      - precision, recall, f1 = precision_score / recall_score / f1_score(y_true, y_pred,
        pos_label=classes[1], zero_division=numpy.nan); null when nan (no predicted positive for
        precision, no true positive row for recall, neither for f1);
      - confusion_matrix = confusion_matrix(y_true, y_pred, labels=classes).tolist(): rows are the
        true class, columns the predicted class, both in the order of classes;
  * "multiclass" (classes: sorted strings; y_pred_proba one row of len(classes) probabilities
    per row, in the order of classes, summing to 1 up to the rounding):
      - accuracy = accuracy_score(y_true, y_pred);
      - precision, recall, f1 = precision_score / recall_score / f1_score(y_true, y_pred,
        labels=classes, average="macro", zero_division=numpy.nan): a class whose own value is
        nan (0 / 0) is left out of the macro average (scikit-learn >= 1.3); null when every
        class is nan;
      - roc_auc = the mean, over the classes c for which y_true has both rows equal to c and
        rows not equal to c, of roc_auc_score(y_true == c, y_pred_proba[:, index of c]); null
        when no class qualifies. When every class qualifies this is checked against
        roc_auc_score(y_true, y_pred_proba, multi_class="ovr", average="macro",
        labels=classes) to 1e-12;
      - confusion_matrix as for binary;
  * "regression" (y_true, y_pred floats):
      - mae = mean_absolute_error, mse = mean_squared_error, rmse = numpy.sqrt(mse) (checked
        against root_mean_squared_error);
      - mape = mean_absolute_percentage_error over the rows whose y_true != 0 only (a fraction,
        not a percentage); mape_excluded_rows = the number of rows left out (y_true == 0); mape
        null when every row is left out.

    .tools/venv/bin/python scripts/reference/performance.py > tests/data/reference/performance.json
"""
import json
import math
import sys
import warnings

import numpy as np
import sklearn
from sklearn import metrics

MODES = ["bus", "car", "train"]


def r6(values):
    """round(x, 6) of each value, as a float64 array (the values stored and measured)."""
    return np.array([round(float(x), 6) for x in np.ravel(values)]).reshape(np.shape(values))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def draw(rng, proba):
    """One class index per row, drawn from that row's probabilities."""
    u = rng.random(len(proba))
    index = (np.cumsum(proba, axis=1) < u[:, None]).sum(axis=1)
    return np.minimum(index, proba.shape[1] - 1)


def nullable(x):
    x = float(x)
    return None if math.isnan(x) else x


# ---------------------------------------------------------------------------------------- inputs


def binary_logistic(seed, n, threshold=0.5, decimals=6):
    """A normal feature, y_true drawn from a logistic model's probability, y_pred thresholded."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p = sigmoid(-0.2 + 1.4 * x)
    y_true = (rng.random(n) < p).astype(int)
    proba = r6([round(float(v), decimals) for v in p])
    return y_true, (proba >= threshold).astype(int), proba


def binary_one_class(seed, n, label):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    if label == 1:
        proba = r6(sigmoid(0.6 + 1.2 * x))
    else:
        proba = r6(sigmoid(-3.0 + 0.5 * x))
    y_pred = (proba >= 0.5).astype(int)
    if label == 0:
        assert y_pred.sum() == 0, "binary_one_class_negative must predict no positive"
    else:
        assert 0 < y_pred.sum() < n, "binary_one_class_positive must predict both classes"
    return np.full(n, label, dtype=int), y_pred, proba


def multiclass_softmax(seed, n, classes, absent=None, only=None, off_argmax=0.0):
    """Softmax probabilities of normal logits; y_true drawn from them (or fixed to `only`);
    y_pred the argmax, except for a share `off_argmax` of rows predicted as the second most
    likely class. The class `absent` gets a very low logit and never appears."""
    rng = np.random.default_rng(seed)
    k = len(classes)
    logits = rng.normal(scale=1.3, size=(n, k)) + np.linspace(0.3, -0.3, k)
    if absent is not None:
        logits[:, classes.index(absent)] = -4.0 + 0.3 * rng.normal(size=n)
    proba = r6(softmax(logits))
    if only is not None:
        y_true = np.full(n, classes.index(only))
    else:
        p = proba.copy()
        if absent is not None:
            p[:, classes.index(absent)] = 0.0
        y_true = draw(rng, p / p.sum(axis=1, keepdims=True))
    order = np.argsort(-proba, axis=1, kind="stable")
    y_pred = order[:, 0].copy()
    if off_argmax:
        swap = rng.random(n) < off_argmax
        y_pred[swap] = order[swap, 1]
    names = np.array(classes)
    if absent is not None:
        assert absent not in names[y_true] and absent not in names[y_pred]
    return names[y_true], names[y_pred], proba


def regression(seed, n, centre, spread, noise, zeros=0, all_zero=False):
    rng = np.random.default_rng(seed)
    y = rng.normal(centre, spread, size=n)
    y_pred = y + rng.normal(0.0, noise, size=n)
    if zeros:
        y[rng.choice(n, size=zeros, replace=False)] = 0.0
    if all_zero:
        y[:] = 0.0
    return r6(y), r6(y_pred)


# --------------------------------------------------------------------------------------- metrics


def binary_expected(classes, y_true, y_pred, proba):
    pos = classes[1]
    if len(np.unique(y_true)) < 2:
        roc_auc = None
    else:
        roc_auc = float(metrics.roc_auc_score(y_true, proba))
    kw = dict(pos_label=pos, zero_division=np.nan)
    return {
        "roc_auc": roc_auc,
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "precision": nullable(metrics.precision_score(y_true, y_pred, **kw)),
        "recall": nullable(metrics.recall_score(y_true, y_pred, **kw)),
        "f1": nullable(metrics.f1_score(y_true, y_pred, **kw)),
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=classes).tolist(),
    }


def multiclass_expected(classes, y_true, y_pred, proba):
    aucs = []
    for j, c in enumerate(classes):
        is_c = (y_true == c).astype(int)
        if 0 < is_c.sum() < len(is_c):
            aucs.append(float(metrics.roc_auc_score(is_c, proba[:, j])))
    roc_auc = float(np.mean(aucs)) if aucs else None
    if len(aucs) == len(classes):
        ovr = metrics.roc_auc_score(y_true, proba, multi_class="ovr", average="macro",
                                    labels=classes)
        assert abs(ovr - roc_auc) <= 1e-12, (ovr, roc_auc)
    kw = dict(labels=classes, average="macro", zero_division=np.nan)
    return {
        "roc_auc": roc_auc,
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "precision": nullable(metrics.precision_score(y_true, y_pred, **kw)),
        "recall": nullable(metrics.recall_score(y_true, y_pred, **kw)),
        "f1": nullable(metrics.f1_score(y_true, y_pred, **kw)),
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=classes).tolist(),
    }


def regression_expected(y_true, y_pred):
    mse = metrics.mean_squared_error(y_true, y_pred)
    rmse = float(np.sqrt(mse))
    if hasattr(metrics, "root_mean_squared_error"):
        other = metrics.root_mean_squared_error(y_true, y_pred)
        assert abs(other - rmse) <= 1e-12 * max(1.0, rmse), (other, rmse)
    kept = y_true != 0
    mape = (float(metrics.mean_absolute_percentage_error(y_true[kept], y_pred[kept]))
            if kept.any() else None)
    return {
        "mae": float(metrics.mean_absolute_error(y_true, y_pred)),
        "mse": float(mse),
        "rmse": rmse,
        "mape": mape,
        "mape_excluded_rows": int((~kept).sum()),
    }


# ------------------------------------------------------------------------------------------ cases


def binary_case(name, inputs):
    y_true, y_pred, proba = inputs
    assert len(y_true) <= 400
    classes = [0, 1]
    return {
        "name": name, "problem": "binary", "classes": classes,
        "y_true": [int(v) for v in y_true], "y_pred": [int(v) for v in y_pred],
        "y_pred_proba": [float(v) for v in proba],
        "expected": binary_expected(classes, y_true, y_pred, proba),
    }


def multiclass_case(name, classes, inputs):
    y_true, y_pred, proba = inputs
    assert len(y_true) <= 400 and classes == sorted(classes)
    return {
        "name": name, "problem": "multiclass", "classes": classes,
        "y_true": [str(v) for v in y_true], "y_pred": [str(v) for v in y_pred],
        "y_pred_proba": [[float(v) for v in row] for row in proba],
        "expected": multiclass_expected(classes, y_true, y_pred, proba),
    }


def regression_case(name, inputs):
    y_true, y_pred = inputs
    assert len(y_true) <= 400
    return {
        "name": name, "problem": "regression",
        "y_true": [float(v) for v in y_true], "y_pred": [float(v) for v in y_pred],
        "expected": regression_expected(y_true, y_pred),
    }


def cases():
    four = ["bus", "car", "ferry", "train"]
    yield binary_case("binary_typical", binary_logistic(201, 300))
    yield binary_case("binary_ties", binary_logistic(202, 200, decimals=1))
    yield binary_case("binary_threshold_not_half", binary_logistic(203, 250, threshold=0.3))
    yield binary_case("binary_one_class_positive", binary_one_class(204, 40, 1))
    yield binary_case("binary_one_class_negative", binary_one_class(205, 30, 0))
    yield binary_case("binary_small_30", binary_logistic(206, 30))
    yield multiclass_case("multiclass_three", MODES, multiclass_softmax(301, 400, MODES))
    yield multiclass_case("multiclass_missing_class", four,
                          multiclass_softmax(302, 120, four, absent="ferry"))
    yield multiclass_case("multiclass_one_class", MODES,
                          multiclass_softmax(303, 25, MODES, only="car"))
    yield multiclass_case("multiclass_pred_differs", MODES,
                          multiclass_softmax(304, 200, MODES, off_argmax=0.2))
    yield regression_case("regression_typical", regression(401, 300, 50.0, 10.0, 3.0))
    yield regression_case("regression_with_zeros", regression(402, 100, 20.0, 5.0, 2.0, zeros=10))
    yield regression_case("regression_all_zero_truth",
                          regression(403, 20, 0.0, 1.0, 0.5, all_zero=True))
    yield regression_case("regression_large_magnitude", regression(404, 200, 1e6, 5e4, 10.0))


def main():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = {"sklearn": sklearn.__version__, "numpy": np.__version__, "cases": list(cases())}
    for w in caught:
        print(f"warning: {w.category.__name__}: {w.message}", file=sys.stderr)
    json.dump(out, sys.stdout, indent=1, allow_nan=False)
    print()


if __name__ == "__main__":
    main()
