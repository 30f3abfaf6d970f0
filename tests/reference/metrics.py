#!/usr/bin/python3
"""Reference values for mlpipe's metrics and scorers (tests/validation/test_metrics.cpp): scikit-learn 1.2's
classification, ranking and regression metrics on label sets {0, 1}, {3, 7}, {3, 7, 12} and {0, 1, 2, 3}, with ties
in the scores, labels never predicted (zero_division), and sample weights.

Run with Debian's scikit-learn (apt-get install python3-sklearn):
    /usr/bin/python3 tests/reference/metrics.py > tests/reference/metrics.json
The tests read the JSON; they never need Python.
"""
import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn import metrics as M
from sklearn.preprocessing import label_binarize

from common import floats, rows

warnings.simplefilter("ignore")  # undefined-metric warnings: the zero_division cases are on purpose
out = {"produced_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}", "values": {}}
values = out["values"]
r = np.random.RandomState(13)


def noisy_predictions(y, labels, p_right):
    return np.where(r.rand(len(y)) < p_right, y, r.choice(labels, size=len(y))).astype(float)


# ---- label sets -------------------------------------------------------------------------------------------------
label_sets = []
y = r.randint(0, 2, size=30).astype(float)
label_sets.append(("binary 0/1", y, noisy_predictions(y, [0, 1], 0.7), 1.0))
y = r.choice([3.0, 7.0], size=25)
label_sets.append(("binary 3/7", y, noisy_predictions(y, [3, 7], 0.6), 7.0))
y = r.choice([3.0, 7.0, 12.0], size=40, p=[0.5, 0.3, 0.2])
label_sets.append(("multiclass 3/7/12", y, noisy_predictions(y, [3, 7, 12], 0.6), None))
y = r.randint(0, 4, size=35).astype(float)
pred = noisy_predictions(y, [0, 1, 2], 0.5)  # label 3 is never predicted: precision 0/0
label_sets.append(("multiclass 0..3, 3 never predicted", y, pred, None))
label_sets.append(("binary, positive never predicted", np.array([0, 1, 1, 0, 0, 1.0]), np.zeros(6), 1.0))
label_sets.append(("binary, no positive at all", np.zeros(5), np.zeros(5), 1.0))

label_cases = []
for name, yt, yp, pos in label_sets:
    weights = [None, r.uniform(0.2, 3.0, size=len(yt))]
    for w in weights:
        base = {"set": name, "y_true": floats(yt), "y_pred": floats(yp),
                "sample_weight": None if w is None else floats(w)}
        averages = (["binary"] if pos is not None else []) + ["micro", "macro", "weighted"]
        for average in averages:
            for zd in [0, 1]:
                kw = dict(average=average, zero_division=zd, sample_weight=w)
                if average == "binary":
                    kw["pos_label"] = pos
                case = dict(base, average=average, zero_division=zd, pos_label=pos if average == "binary" else 1.0)
                case["precision"] = M.precision_score(yt, yp, **kw)
                case["recall"] = M.recall_score(yt, yp, **kw)
                case["f1"] = M.f1_score(yt, yp, **kw)
                case["fbeta_0.5"] = M.fbeta_score(yt, yp, beta=0.5, **kw)
                case["fbeta_2"] = M.fbeta_score(yt, yp, beta=2.0, **kw)
                case["jaccard"] = M.jaccard_score(yt, yp, **kw)
                label_cases.append(case)
        case = dict(base, average="none", zero_division=0, pos_label=1.0)
        case["accuracy"] = M.accuracy_score(yt, yp, sample_weight=w)
        case["balanced_accuracy"] = M.balanced_accuracy_score(yt, yp, sample_weight=w)
        case["balanced_accuracy_adjusted"] = M.balanced_accuracy_score(yt, yp, sample_weight=w, adjusted=True) \
            if len(np.unique(yt)) > 1 else None
        case["matthews_corrcoef"] = M.matthews_corrcoef(yt, yp, sample_weight=w)
        for kw in [None, "linear", "quadratic"]:
            case[f"cohen_kappa_{kw}"] = M.cohen_kappa_score(yt, yp, weights=kw, sample_weight=w) \
                if len(np.unique(np.r_[yt, yp])) > 1 else None
        for normalize in [None, "true", "pred", "all"]:
            case[f"confusion_matrix_{normalize}"] = rows(M.confusion_matrix(yt, yp, sample_weight=w,
                                                                             normalize=normalize))
        p, rc, f, s = M.precision_recall_fscore_support(yt, yp, sample_weight=w, zero_division=1)
        case["prfs_zero_division_1"] = [floats(p), floats(rc), floats(f), floats(s)]
        labels = np.unique(np.r_[yt, yp])
        # Text with integer labels, as scikit-learn prints them for an integer array.
        case["report_text"] = M.classification_report(yt.astype(int), yp.astype(int), sample_weight=w, digits=3)
        d = M.classification_report(yt, yp, sample_weight=w, output_dict=True, zero_division=0)
        case["report_averages"] = {k: [v["precision"], v["recall"], v["f1-score"], v["support"]]
                                   for k, v in d.items() if k in ("macro avg", "weighted avg")}
        case["report_accuracy"] = d.get("accuracy")
        case["labels"] = floats(labels)
        label_cases.append(case)
# A subset of labels: precision over [3, 12] only; confusion matrix of labels [12, 3].
yt, yp = label_sets[2][1], label_sets[2][2]
subset = {"set": "labels subset [12, 3]", "y_true": floats(yt), "y_pred": floats(yp), "sample_weight": None,
          "average": "macro", "zero_division": 0, "pos_label": 1.0, "labels": [12.0, 3.0]}
subset["precision"] = M.precision_score(yt, yp, labels=[12, 3], average="macro")
subset["recall_weighted"] = M.recall_score(yt, yp, labels=[12, 3], average="weighted")
subset["f1_micro"] = M.f1_score(yt, yp, labels=[12, 3], average="micro")
subset["confusion_matrix"] = rows(M.confusion_matrix(yt, yp, labels=[12, 3]))
subset["kappa"] = M.cohen_kappa_score(yt, yp, labels=[12, 3])
d = M.classification_report(yt, yp, labels=[12, 3], output_dict=True)
subset["report_micro"] = [d["micro avg"]["precision"], d["micro avg"]["recall"], d["micro avg"]["f1-score"]]
subset["report_text"] = M.classification_report(yt.astype(int), yp.astype(int), labels=[12, 3],
                                                target_names=["twelve", "three"])
values["labels"] = label_cases
values["labels_subset"] = subset

# ---- scores and probabilities -----------------------------------------------------------------------------------
score_cases = []
yb = r.randint(0, 2, size=40).astype(float)
scores_ties = np.round(r.rand(40) + 0.3 * yb, 1)  # few distinct values: many ties
for name, yt, s, pos in [("binary 0/1, tied scores", yb, scores_ties, 1.0),
                         ("binary 3/7, distinct scores", np.where(yb == 1, 7.0, 3.0), r.randn(40) + yb, 7.0),
                         ("binary 0/1, positive label 0", yb, scores_ties, 0.0)]:
    for w in [None, r.uniform(0.1, 2.0, size=len(yt))]:
        case = {"set": name, "y_true": floats(yt), "scores": floats(s), "pos_label": pos,
                "sample_weight": None if w is None else floats(w)}
        yb_pos = (yt == pos).astype(int)
        case["roc_auc"] = M.roc_auc_score(yb_pos, s, sample_weight=w)
        case["average_precision"] = M.average_precision_score(yt, s, pos_label=pos, sample_weight=w)
        fpr, tpr, th = M.roc_curve(yt, s, pos_label=pos, sample_weight=w)
        case["roc_curve"] = [floats(fpr), floats(tpr), floats(th)]
        fpr, tpr, th = M.roc_curve(yt, s, pos_label=pos, sample_weight=w, drop_intermediate=False)
        case["roc_curve_all"] = [floats(fpr), floats(tpr), floats(th)]
        p, rc, th = M.precision_recall_curve(yt, s, pos_label=pos, sample_weight=w)
        case["pr_curve"] = [floats(p), floats(rc), floats(th)]
        proba = 1.0 / (1.0 + np.exp(-s))
        case["proba"] = floats(proba)
        case["brier"] = M.brier_score_loss(yt, proba, sample_weight=w, pos_label=pos)
        score_cases.append(case)
values["binary_scores"] = score_cases

proba_cases = []
for name, classes, n in [("3 classes 3/7/12", [3.0, 7.0, 12.0], 45), ("4 classes 0..3", [0.0, 1.0, 2.0, 3.0], 50),
                         ("2 classes 0/1", [0.0, 1.0], 30)]:
    k = len(classes)
    yt = np.array(classes)[r.randint(0, k, size=n)]
    logits = r.randn(n, k) + 1.5 * (yt[:, None] == np.array(classes)[None, :])
    logits = np.round(logits, 1)  # ties within rows and across rows
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    for w in [None, r.uniform(0.2, 2.0, size=n)]:
        case = {"set": name, "y_true": floats(yt), "proba": rows(proba), "classes": classes,
                "sample_weight": None if w is None else floats(w)}
        case["log_loss"] = M.log_loss(yt, proba, labels=classes, sample_weight=w)
        if k > 2:
            case["roc_auc_ovr"] = M.roc_auc_score(yt, proba, labels=classes, multi_class="ovr", sample_weight=w)
            case["roc_auc_ovr_weighted"] = M.roc_auc_score(yt, proba, labels=classes, multi_class="ovr",
                                                           average="weighted", sample_weight=w)
            if w is None:
                case["roc_auc_ovo"] = M.roc_auc_score(yt, proba, labels=classes, multi_class="ovo")
                case["roc_auc_ovo_weighted"] = M.roc_auc_score(yt, proba, labels=classes, multi_class="ovo",
                                                               average="weighted")
            for top in [1, 2, 3]:
                case[f"top_{top}"] = M.top_k_accuracy_score(yt, proba, k=top, labels=classes, sample_weight=w)
        else:
            case["roc_auc"] = M.roc_auc_score(yt, proba[:, 1], sample_weight=w)
            case["top_1_column"] = M.top_k_accuracy_score(yt, proba[:, 1], k=1, labels=classes, sample_weight=w)
            case["brier"] = M.brier_score_loss(yt, proba[:, 1], sample_weight=w)
        proba_cases.append(case)
values["proba"] = proba_cases

# ---- regression -------------------------------------------------------------------------------------------------
regression_cases = []
for name, yt, yp in [("positive targets", r.gamma(2.0, 2.0, size=30) + 0.1, None),
                     ("counts with zeros", r.poisson(2.0, size=25).astype(float), None),
                     ("constant target", np.full(6, 2.5), np.array([2.5, 2.5, 3.0, 2.0, 2.5, 2.5]))]:
    if yp is None:
        yp = np.abs(yt + r.randn(len(yt))) + 0.05
    for w in [None, r.uniform(0.2, 2.0, size=len(yt))]:
        case = {"set": name, "y_true": floats(yt), "y_pred": floats(yp), "sample_weight": None if w is None else floats(w)}
        case["r2"] = M.r2_score(yt, yp, sample_weight=w)
        case["explained_variance"] = M.explained_variance_score(yt, yp, sample_weight=w)
        case["mean_absolute_error"] = M.mean_absolute_error(yt, yp, sample_weight=w)
        case["mean_squared_error"] = M.mean_squared_error(yt, yp, sample_weight=w)
        case["root_mean_squared_error"] = M.mean_squared_error(yt, yp, sample_weight=w, squared=False)
        case["mean_squared_log_error"] = M.mean_squared_log_error(yt, yp, sample_weight=w)
        case["median_absolute_error"] = M.median_absolute_error(yt, yp, sample_weight=w)
        case["max_error"] = M.max_error(yt, yp)
        case["mean_absolute_percentage_error"] = M.mean_absolute_percentage_error(yt, yp, sample_weight=w)
        case["mean_poisson_deviance"] = M.mean_poisson_deviance(yt, yp, sample_weight=w)
        case["mean_gamma_deviance"] = M.mean_gamma_deviance(yt, yp, sample_weight=w) if (yt > 0).all() else None
        case["mean_tweedie_deviance_1.5"] = M.mean_tweedie_deviance(yt, yp, power=1.5, sample_weight=w)
        case["mean_tweedie_deviance_-1"] = M.mean_tweedie_deviance(yt, yp, power=-1.0, sample_weight=w)
        case["mean_tweedie_deviance_3"] = M.mean_tweedie_deviance(yt, yp, power=3.0, sample_weight=w) \
            if (yt > 0).all() else None
        regression_cases.append(case)
values["regression"] = regression_cases

# ---- scorers: get_scorer(name)(estimator, X, y) on fixed predictions --------------------------------------------


class Fixed(sklearn.base.BaseEstimator, sklearn.base.ClassifierMixin):
    """A classifier whose outputs are given: predict, predict_proba and decision_function read them by row."""

    def __init__(self, classes, pred, proba):
        self.classes, self.pred, self.proba = classes, pred, proba

    def fit(self, X, y):
        self.classes_ = np.array(self.classes)
        return self

    def predict(self, X):
        return self.pred[X[:, 0].astype(int)]

    def predict_proba(self, X):
        return self.proba[X[:, 0].astype(int)]


scorer_cases = []
for case in proba_cases:
    if case["sample_weight"] is not None:
        continue
    classes = np.array(case["classes"])
    proba = np.array(case["proba"])
    yt = np.array(case["y_true"])
    pred = classes[np.argmax(proba, axis=1)]
    est = Fixed(case["classes"], pred, proba).fit(None, None)
    X = np.arange(len(yt), dtype=float)[:, None]
    names = ["accuracy", "balanced_accuracy", "f1_macro", "f1_micro", "f1_weighted", "precision_macro",
             "precision_micro", "precision_weighted", "recall_macro", "recall_micro", "recall_weighted",
             "jaccard_macro", "jaccard_micro", "jaccard_weighted", "matthews_corrcoef", "neg_log_loss"]
    if len(classes) > 2:
        names += ["roc_auc_ovr", "roc_auc_ovr_weighted", "roc_auc_ovo", "roc_auc_ovo_weighted"]
    else:
        names += ["roc_auc", "f1", "precision", "recall", "jaccard", "average_precision", "neg_brier_score",
                  "roc_auc_ovr", "roc_auc_ovo"]
    got = {n: M.get_scorer(n)(est, X, yt) for n in names}
    scorer_cases.append({"set": case["set"], "y_true": floats(yt), "proba": rows(proba), "pred": floats(pred),
                         "classes": case["classes"], "scores": got})
regression_scorers = ["r2", "explained_variance", "max_error", "neg_mean_absolute_error", "neg_mean_squared_error",
                      "neg_root_mean_squared_error", "neg_mean_squared_log_error", "neg_median_absolute_error",
                      "neg_mean_absolute_percentage_error", "neg_mean_poisson_deviance", "neg_mean_gamma_deviance"]


class FixedRegressor(sklearn.base.BaseEstimator, sklearn.base.RegressorMixin):
    def __init__(self, pred):
        self.pred = pred

    def fit(self, X, y):
        return self

    def predict(self, X):
        return self.pred[X[:, 0].astype(int)]


case = regression_cases[0]
yt, yp = np.array(case["y_true"]), np.array(case["y_pred"])
est = FixedRegressor(yp).fit(None, None)
X = np.arange(len(yt), dtype=float)[:, None]
values["regression_scorers"] = {"y_true": floats(yt), "y_pred": floats(yp),
                                "scores": {n: M.get_scorer(n)(est, X, yt) for n in regression_scorers}}
values["scorers"] = scorer_cases

# ---- multilabel targets (indicator matrices) and multiclass average precision ------------------------------------
m = np.random.RandomState(29)  # a stream of its own, so the values above stay as they were
multilabel_cases = []
Yt = (m.rand(30, 4) < [0.5, 0.3, 0.6, 0.15]).astype(float)
Yp = np.where(m.rand(30, 4) < 0.75, Yt, 1 - Yt)
Yt[3] = 0  # a row with no true label
Yp[3] = 0  # and none predicted: samples precision and recall are 0/0
Yp[5] = 0  # a row with true labels and none predicted
Yp[:, 3] = 0  # label 3 never predicted
S = np.round(m.rand(30, 4) + 0.4 * Yt, 1)  # scores with ties
for w in [None, m.uniform(0.2, 3.0, size=30)]:
    base = {"y_true": rows(Yt), "y_pred": rows(Yp), "scores": rows(S), "sample_weight": None if w is None else floats(w)}
    for labels in [None, [2, 0]]:
        for average in ["micro", "macro", "weighted", "samples"]:
            for zd in [0, 1]:
                kw = dict(average=average, zero_division=zd, sample_weight=w, labels=labels)
                case = dict(base, average=average, zero_division=zd, labels=labels)
                case["precision"] = M.precision_score(Yt, Yp, **kw)
                case["recall"] = M.recall_score(Yt, Yp, **kw)
                case["f1"] = M.f1_score(Yt, Yp, **kw)
                case["fbeta_0.5"] = M.fbeta_score(Yt, Yp, beta=0.5, **kw)
                case["jaccard"] = M.jaccard_score(Yt, Yp, **kw)
                if labels is None and zd == 0:
                    case["average_precision"] = M.average_precision_score(Yt, S, average=average, sample_weight=w)
                multilabel_cases.append(case)
values["multilabel"] = multilabel_cases

multiclass_ap = []
for classes, n in [([3.0, 7.0, 12.0], 40), ([0.0, 1.0, 2.0, 5.0], 45)]:
    k = len(classes)
    yt = np.array(classes)[m.randint(0, k, size=n)]
    logits = np.round(m.randn(n, k) + 1.2 * (yt[:, None] == np.array(classes)[None, :]), 1)
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    for w in [None, m.uniform(0.2, 2.0, size=n)]:
        case = {"y_true": floats(yt), "proba": rows(proba), "decision": rows(logits), "classes": classes,
                "sample_weight": None if w is None else floats(w)}
        Y = label_binarize(yt, classes=classes)
        for average in ["micro", "macro", "weighted", "samples"]:
            case[average] = M.average_precision_score(Y, proba, average=average, sample_weight=w)
            case[average + "_decision"] = M.average_precision_score(Y, logits, average=average, sample_weight=w)
        multiclass_ap.append(case)
yt = np.array([2.0, 5.0, 5.0, 2.0, 5.0, 2.0, 2.0, 5.0])
p5 = np.array([0.2, 0.9, 0.6, 0.6, 0.4, 0.1, 0.7, 0.8])
multiclass_ap.append({"y_true": floats(yt), "proba": rows(np.c_[1 - p5, p5]), "classes": [2.0, 5.0],
                      "sample_weight": None, "binary": M.average_precision_score(yt, p5, pos_label=5.0)})
values["multiclass_average_precision"] = multiclass_ap
values["sklearn_scorer_names"] = sorted(M.get_scorer_names())


def clean(o):
    if isinstance(o, dict):
        return {k: clean(v) for k, v in o.items()}
    if isinstance(o, list):
        return [clean(v) for v in o]
    if isinstance(o, (float, np.floating)):
        return floats([o])[0]
    if isinstance(o, np.integer):
        return int(o)
    return o


json.dump(clean(out), sys.stdout, separators=(",", ":"), allow_nan=False)
sys.stdout.write("\n")
