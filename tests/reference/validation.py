#!/usr/bin/python3
"""Reference values for mlpipe's validation tests (tests/validation/test_validation.cpp): numpy's legacy
RandomState stream, scikit-learn's KFold / StratifiedKFold / PredefinedSplit folds, its metrics and its scorers.

Run with Debian's scikit-learn (apt-get install python3-sklearn):
    /usr/bin/python3 tests/reference/validation.py > tests/reference/validation.json
The tests read the JSON; they never need Python.
"""
import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import Ridge
from sklearn.metrics import (accuracy_score, f1_score, get_scorer, log_loss, mean_absolute_error,
                             mean_squared_error, r2_score, roc_auc_score)
from sklearn.model_selection import KFold, PredefinedSplit, StratifiedKFold

from common import load, floats, ints


out = {"produced_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}", "values": {}}
values = out["values"]
_, y_iris = load("iris.csv")
_, y_cancer = load("breast_cancer.csv")
X_diabetes, y_diabetes = load("diabetes.csv")

# ---- numpy's legacy RandomState ---------------------------------------------------------------------------------
# raw: randint(0, 2**32) with a 64-bit dtype takes numpy's masked 32-bit path with a full mask, i.e. the raw MT19937
# outputs. interval: randint(0, max + 1) is random_interval(max) (masked rejection, 64-bit draws above 2**32 - 1).
rng_cases = []
for seed in [0, 1, 42, 123456789, 2**32 - 1]:
    case = {"seed": seed}
    rs = np.random.RandomState(seed)
    case["raw_first10"] = ints(rs.randint(0, 2**32, size=10, dtype=np.uint64))
    rs = np.random.RandomState(seed)
    case["raw_1000th"] = int(rs.randint(0, 2**32, size=1000, dtype=np.uint64)[-1])
    rs = np.random.RandomState(seed)
    case["uniform_first5"] = floats(rs.random_sample(5))
    intervals = []
    for max_value in [0, 1, 2, 5, 6, 7, 100, 2**31, 2**32 - 1, 2**32, 2**40 - 1, 10**15]:
        rs = np.random.RandomState(seed)
        intervals.append({"max": max_value,
                          "draws": ints(rs.randint(0, max_value + 1, size=6, dtype=np.uint64))})
    case["interval"] = intervals
    shuffles = []
    for n in [0, 1, 2, 3, 10, 57]:
        rs = np.random.RandomState(seed)
        a = np.arange(n)
        rs.shuffle(a)
        shuffles.append({"n": n, "result": ints(a)})
    case["shuffle"] = shuffles
    # One stream used for several things in turn, as StratifiedKFold does.
    rs = np.random.RandomState(seed)
    a, b = np.arange(5), np.arange(8)
    rs.shuffle(a)
    rs.shuffle(b)
    case["two_shuffles_5_then_8"] = [ints(a), ints(b)]
    case["then_uniform"] = float(rs.random_sample())
    rng_cases.append(case)
values["numpy_random_state"] = rng_cases

# ---- splitters --------------------------------------------------------------------------------------------------
unbalanced = np.array([5, 5, 0, 5, 0, 0, 0, -1, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, -1, 0], dtype=float)
rare_class = np.array([3] * 10 + [1] * 4 + [7], dtype=float)
np.random.RandomState(1).shuffle(rare_class)
random4 = np.random.RandomState(1).randint(0, 4, size=53).astype(float)

split_cases = []


def add_split_case(name, splitter, kind, n_rows, y=None, n_splits=None, shuffle=None, seed=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # StratifiedKFold warns when a class has fewer members than n_splits
        folds = list(splitter.split(np.zeros((n_rows, 1)), y))
    for train, test in folds:
        assert sorted(train) == sorted(set(range(n_rows)) - set(test)) and sorted(test) == list(test)
    case = {"name": name, "splitter": kind, "n_rows": n_rows, "y": None if y is None else floats(y),
            "test": [ints(test) for _, test in folds]}  # each train set is the other rows (asserted above)
    if n_splits is not None:
        case.update({"n_splits": n_splits, "shuffle": shuffle, "seed": seed})
    split_cases.append(case)


def kfold_case(name, n_rows, n_splits, shuffle=False, seed=0, y=None):
    cv = KFold(n_splits, shuffle=shuffle, random_state=seed if shuffle else None)
    add_split_case(name, cv, "kfold", n_rows, y, n_splits, shuffle, seed)


def skf_case(name, y, n_splits, shuffle=False, seed=0):
    cv = StratifiedKFold(n_splits, shuffle=shuffle, random_state=seed if shuffle else None)
    add_split_case(name, cv, "stratified_kfold", len(y), y, n_splits, shuffle, seed)


kfold_case("iris kfold 5", 150, 5)
kfold_case("iris kfold 5 shuffle seed 0", 150, 5, True, 0)
kfold_case("iris kfold 3 shuffle seed 42", 150, 3, True, 42)
kfold_case("breast_cancer kfold 5", 569, 5)
kfold_case("breast_cancer kfold 5 shuffle seed 0", 569, 5, True, 0)
kfold_case("diabetes kfold 10 shuffle seed 0", 442, 10, True, 0)
kfold_case("7 rows kfold 3", 7, 3)
kfold_case("7 rows kfold 3 shuffle seed 1", 7, 3, True, 1)
kfold_case("2 rows kfold 2 shuffle seed 5", 2, 2, True, 5)
kfold_case("11 rows kfold 11 shuffle seed 2**32-1", 11, 11, True, 2**32 - 1)
kfold_case("13 rows kfold 4 shuffle seed 7 (y ignored)", 13, 4, True, 7, y=np.arange(13.0))
skf_case("iris stratified 5", y_iris, 5)
skf_case("iris stratified 5 shuffle seed 0", y_iris, 5, True, 0)
skf_case("iris stratified 10 shuffle seed 123", y_iris, 10, True, 123)
skf_case("iris stratified 50", y_iris, 50)
skf_case("breast_cancer stratified 5", y_cancer, 5)
skf_case("breast_cancer stratified 5 shuffle seed 0", y_cancer, 5, True, 0)
skf_case("breast_cancer stratified 3 shuffle seed 7", y_cancer, 3, True, 7)
skf_case("unbalanced, classes first seen 5, 0, -1: stratified 3", unbalanced, 3)
skf_case("unbalanced, classes first seen 5, 0, -1: stratified 3 shuffle seed 0", unbalanced, 3, True, 0)
skf_case("unbalanced, classes first seen 5, 0, -1: stratified 4 shuffle seed 3", unbalanced, 4, True, 3)
skf_case("a class with one member: stratified 4", rare_class, 4)
skf_case("a class with one member: stratified 4 shuffle seed 9", rare_class, 4, True, 9)
skf_case("53 rows of 4 classes: stratified 6 shuffle seed 11", random4, 6, True, 11)
skf_case("one class: stratified 3 shuffle seed 0", np.full(6, 2.0), 3, True, 0)
for name, test_fold in [("predefined 0, 1, -1, 1", [0, 1, -1, 1]),
                        ("predefined ids 7, 2, 7, -1, 2, 5", [7, 2, 7, -1, 2, 5]),
                        ("predefined holdout: -1, -1, -1, 0, 0", [-1, -1, -1, 0, 0])]:
    cv = PredefinedSplit(test_fold)
    add_split_case(name, cv, "predefined_split", len(test_fold))
    split_cases[-1]["test_fold"] = test_fold
values["splitters"] = split_cases

# ---- metrics ----------------------------------------------------------------------------------------------------
r = np.random.RandomState(2024)
metric_cases = []


def add_metric(metric, expected, **inputs):
    case = {"metric": metric, "expected": float(expected)}
    for k, v in inputs.items():
        case[k] = [floats(row) for row in v] if np.ndim(v) == 2 else floats(v)
    metric_cases.append(case)


def label_cases():
    yield "binary", [0, 1, 1, 0, 1, 1, 0, 0], [0, 1, 0, 0, 1, 1, 1, 0]
    yield "multiclass", [0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1]
    yield "perfect", [2, 0, 1, 1], [2, 0, 1, 1]
    yield "worst", [1, 0, 1, 0], [0, 1, 0, 1]
    yield "labels -1 and 1", [-1, 1, 1, -1, 1], [-1, 1, -1, -1, -1]
    yield "random 4 classes", r.randint(0, 4, 300), r.randint(0, 4, 300)


for _, yt, yp in label_cases():
    add_metric("accuracy", accuracy_score(yt, yp), y_true=yt, y_pred=yp)
    add_metric("f1_macro", f1_score(yt, yp, average="macro"), y_true=yt, y_pred=yp)
add_metric("f1_macro", f1_score([0, 0, 1, 1], [0, 2, 1, 1], average="macro"), y_true=[0, 0, 1, 1],
           y_pred=[0, 2, 1, 1])  # label 2 is only predicted: its F1 is 0
yb = r.randint(0, 2, 200)
pb = np.where(r.rand(200) < 0.7, yb, 1 - yb)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # zero-division warnings are the point of some cases
    for yt, yp, pos in [([0, 1, 1, 0, 1, 1, 0, 0], [0, 1, 0, 0, 1, 1, 1, 0], 1),
                        ([0, 1, 1, 0, 1, 1, 0, 0], [0, 1, 0, 0, 1, 1, 1, 0], 0),
                        ([-1, 1, 1, -1, 1], [-1, 1, -1, -1, -1], 1),
                        ([2, 5, 5, 2], [5, 5, 2, 2], 5),
                        ([0, 0, 0], [0, 0, 0], 1),  # no positive anywhere: 0
                        ([1, 1, 1], [1, 1, 1], 1),  # perfect
                        ([0, 0, 1], [0, 0, 0], 1),  # nothing predicted positive: precision undefined, 0
                        ([1, 0, 1, 0], [0, 1, 0, 1], 1),  # worst
                        (yb, pb, 1)]:
        add_metric("f1", f1_score(yt, yp, pos_label=pos), y_true=yt, y_pred=yp, pos_label=[pos])

ties = r.randint(0, 2, 300)
auc_cases = [([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]),
             ([0, 1, 0, 1, 1, 0], [0.5, 0.5, 0.2, 0.9, 0.5, 0.9]),  # ties across classes
             ([0, 1, 1, 0], [0.3, 0.3, 0.3, 0.3]),  # all tied: 0.5
             ([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]),  # perfect
             ([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4]),  # worst
             ([-1, 1, 1, -1, 1], [-2.0, 3.0, -0.5, 0.0, 1e-300]),
             ([7, 2, 7, 2, 2], [0.9, 0.1, 0.4, 0.4, 0.3]),  # positive class 7
             (ties, np.round(r.rand(300) * 0.6 + ties * 0.3, 1))]  # many ties
Xc, _ = load("breast_cancer.csv")
auc_cases.append((y_cancer, Xc[:, 0]))  # mean radius, which has repeated values
for yt, s in auc_cases:
    add_metric("roc_auc", roc_auc_score(yt, s), y_true=yt, scores=s)


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


templates = np.array([[0.2, 0.3, 0.5], [0.5, 0.3, 0.2], [0.1, 0.1, 0.8], [0.25, 0.25, 0.5], [0.6, 0.2, 0.2],
                      [0.2, 0.6, 0.2]])
tied_proba = templates[r.randint(0, len(templates), 90)]
tied_y = r.randint(0, 3, 90)
Xi, _ = load("iris.csv")
iris_proba = softmax(Xi @ np.array([[1.0, -0.5, 0.2], [-0.3, 0.8, 0.1], [0.2, -0.4, 0.9], [0.1, 0.3, -1.2]]))
four = r.dirichlet([1, 1, 1, 1], 120)
four_y = np.array([1, 3, 5, 10])[np.argmax(four + r.rand(120, 4) * 0.8, axis=1)]
ovr_cases = [(tied_y, tied_proba, [0, 1, 2]),
             (y_iris, iris_proba, [0, 1, 2]),
             (four_y, four, [1, 3, 5, 10]),
             ([0, 1, 2, 2], np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6]]), [0, 1, 2]),
             ([0, 1, 0, 1], np.array([[0.6, 0.4], [0.3, 0.7], [0.5, 0.5], [0.5, 0.5]]), [0, 1])]
for yt, p, classes in ovr_cases:
    if len(classes) == 2:
        expected = roc_auc_score(yt, p[:, 1])
    else:
        expected = roc_auc_score(yt, p, multi_class="ovr", average="macro", labels=classes)
    add_metric("roc_auc_ovr", expected, y_true=yt, proba=p, classes=classes)

loss_cases = [([1, 0, 0, 1], np.array([[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]), [0, 1]),
              ([0, 1], np.array([[0.0, 1.0], [1.0, 0.0]]), [0, 1]),  # confidently wrong: clipped to eps
              ([0, 1], np.array([[1.0, 0.0], [0.0, 1.0]]), [0, 1]),  # perfect: clipped to 1 - eps
              ([0, 1, 1], np.array([[0.2, 0.2], [0.5, 0.1], [0.1, 0.3]]), [0, 1]),  # rows renormalized
              ([0, 1, 0], np.array([[0.7, 0.2, 0.1], [0.3, 0.4, 0.3], [0.5, 0.25, 0.25]]), [0, 1, 2]),  # 2 unseen
              (y_iris, iris_proba, [0, 1, 2]),
              (four_y, four, [1, 3, 5, 10])]
for yt, p, classes in loss_cases:
    add_metric("log_loss", log_loss(yt, p, labels=classes), y_true=yt, proba=p, classes=classes)

yr = r.randn(1000) * 3 + 1
regression_cases = [([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]),
                    ([1, 2, 3], [1, 2, 3]),  # perfect
                    ([4, 4, 4], [4, 4, 4]),  # constant and perfect: r2 = 1
                    ([4, 4, 4], [4, 5, 4]),  # constant and imperfect: r2 = 0
                    ([1, 2, 3, 4], [4, 3, 2, 1]),  # negative r2
                    ([1, 2, 3, 4], [2.5, 2.5, 2.5, 2.5]),  # the mean: r2 = 0
                    (yr, yr + r.randn(1000))]
for yt, yp in regression_cases:
    add_metric("r2", r2_score(yt, yp), y_true=yt, y_pred=yp)
    add_metric("mean_squared_error", mean_squared_error(yt, yp), y_true=yt, y_pred=yp)
    add_metric("mean_absolute_error", mean_absolute_error(yt, yp), y_true=yt, y_pred=yp)
values["metrics"] = metric_cases


# ---- scorers ----------------------------------------------------------------------------------------------------
class TableClassifier(ClassifierMixin, BaseEstimator):
    """Returns stored probabilities for the row whose id is in column 0 (the test's table_classifier)."""

    def __init__(self, proba=None, classes=None):
        self.proba = proba
        self.classes = classes

    def fit(self, X, y):
        self.classes_ = np.asarray(self.classes, dtype=float)
        return self

    def predict_proba(self, X):
        return self.proba[np.asarray(X)[:, 0].astype(int)]

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


scorer_cases = []
yb = r.randint(0, 2, 120)
p1 = np.round(np.clip(0.3 * yb + 0.7 * r.rand(120), 0, 1), 2)  # two decimals: many ties
binary_proba = np.column_stack([1 - p1, p1])
multi_y = r.randint(0, 3, 150)
multi_proba = r.dirichlet([1, 1, 1], 150) * 0.6
multi_proba[np.arange(150), multi_y] += 0.4
multi_proba[np.arange(150), (multi_y + 1) % 3] *= r.rand(150) < 0.5  # some exact zeros, for log_loss's clipping
multi_proba /= multi_proba.sum(axis=1, keepdims=True)
for name, y, proba, classes, names in [
        ("binary", yb, binary_proba, [0, 1], ["accuracy", "roc_auc", "neg_log_loss", "f1", "f1_macro"]),
        ("multiclass", multi_y, multi_proba, [0, 1, 2], ["accuracy", "roc_auc_ovr", "neg_log_loss", "f1_macro"])]:
    X = np.arange(len(y), dtype=float)[:, None]
    model = TableClassifier(proba, classes).fit(X, y)
    scores = {n.replace("roc_auc_ovr", "roc_auc"): float(get_scorer(n)(model, X, y)) for n in names}
    scorer_cases.append({"name": name, "y": floats(y), "proba": [floats(row) for row in proba], "classes": classes,
                         "scores": scores})
values["scorers_classification"] = scorer_cases

ridge = Ridge(alpha=1.0).fit(X_diabetes[:300], y_diabetes[:300])
values["scorers_ridge_diabetes"] = {
    "fit": "Ridge(alpha=1) on rows 0-299, scored on rows 300-441",
    "scores": {n: float(get_scorer(n)(ridge, X_diabetes[300:], y_diabetes[300:]))
               for n in ["r2", "neg_mean_squared_error", "neg_mean_absolute_error"]},
}

json.dump(out, sys.stdout, indent=1)
print()
