#!/usr/bin/python3
"""Reference values for mlpipe's validation analysis tests (tests/validation/test_curves.cpp and
tests/validation/test_statistics.cpp): scikit-learn's cross_val_predict, learning_curve, validation_curve,
permutation_test_score and permutation_importance; scipy's and statsmodels' tests for comparing models.

Run with Debian's scikit-learn, scipy and statsmodels:
    /usr/bin/python3 tests/reference/validation_analysis.py > tests/reference/validation_analysis.json
The tests read the JSON; they never need Python.
"""
import json
import warnings

import numpy as np
import scipy
import sklearn
import statsmodels
from scipy import stats
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import (GroupKFold, KFold, LeaveOneGroupOut, StratifiedKFold, cross_val_predict,
                                     learning_curve, permutation_test_score, validation_curve)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from common import load, floats, rows, ints

out = {"produced_by": f"scikit-learn {sklearn.__version__}, scipy {scipy.__version__}, "
                      f"statsmodels {statsmodels.__version__}, numpy {np.__version__}", "values": {}}
values = out["values"]
X_iris, y_iris = load("iris.csv")
X_cancer, y_cancer = load("breast_cancer.csv")
X_diabetes, y_diabetes = load("diabetes.csv")


def logreg(C=1.0):
    # Newton-CG to a gradient of 1e-12 reaches the optimum (lbfgs stops on its relative-decrease test short of it).
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, solver="newton-cg", tol=1e-12, max_iter=10000))


def ridge(alpha=1.0):
    return make_pipeline(StandardScaler(), Ridge(alpha=alpha))


# ---- cross_val_predict ------------------------------------------------------------------------------------------
cvp = {}
skf = StratifiedKFold(n_splits=5)
cvp["iris_predict"] = floats(cross_val_predict(logreg(), X_iris, y_iris, cv=skf))
cvp["iris_proba"] = rows(cross_val_predict(logreg(), X_iris, y_iris, cv=skf, method="predict_proba"))
cvp["iris_decision"] = rows(cross_val_predict(logreg(), X_iris, y_iris, cv=skf, method="decision_function"))
cvp["cancer_decision"] = floats(cross_val_predict(logreg(), X_cancer, y_cancer, cv=skf, method="decision_function"))
# iris is sorted by class: unshuffled 3-fold leaves one class out of every training set.
cvp["iris_kfold3_proba"] = rows(cross_val_predict(logreg(), X_iris, y_iris, cv=KFold(3), method="predict_proba"))
cvp["diabetes_ridge_shuffled"] = floats(cross_val_predict(ridge(2.0), X_diabetes, y_diabetes,
                                                          cv=KFold(5, shuffle=True, random_state=0)))
values["cross_val_predict"] = cvp

# ---- learning_curve ---------------------------------------------------------------------------------------------
lc = {}
sizes, train, test = learning_curve(ridge(), X_diabetes, y_diabetes, cv=KFold(5), scoring="r2",
                                    train_sizes=[0.1, 0.325, 0.55, 0.775, 1.0], shuffle=True, random_state=0)
lc["diabetes_fractions_shuffled"] = {"sizes": ints(sizes), "train": rows(train), "test": rows(test)}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the duplicate size 20 is dropped with a warning
    sizes, train, test = learning_curve(ridge(), X_diabetes, y_diabetes, cv=KFold(4), scoring="r2",
                                        train_sizes=[100, 20, 50, 20])
lc["diabetes_counts"] = {"sizes": ints(sizes), "train": rows(train), "test": rows(test)}
sizes, train, test = learning_curve(logreg(), X_cancer, y_cancer, cv=StratifiedKFold(5),
                                    train_sizes=[0.2, 0.6, 1.0], shuffle=True, random_state=3)
lc["cancer_accuracy_shuffled"] = {"sizes": ints(sizes), "train": rows(train), "test": rows(test)}
values["learning_curve"] = lc

# ---- validation_curve -------------------------------------------------------------------------------------------
vc = {}
train, test = validation_curve(ridge(), X_diabetes, y_diabetes, param_name="ridge__alpha",
                               param_range=[0.01, 0.1, 1.0, 10.0, 100.0], cv=KFold(5), scoring="r2")
vc["diabetes_alpha"] = {"values": [0.01, 0.1, 1.0, 10.0, 100.0], "train": rows(train), "test": rows(test)}
train, test = validation_curve(logreg(), X_cancer, y_cancer, param_name="logisticregression__C",
                               param_range=[0.01, 0.1, 1.0, 10.0], cv=StratifiedKFold(5, shuffle=True, random_state=1))
vc["cancer_C"] = {"values": [0.01, 0.1, 1.0, 10.0], "train": rows(train), "test": rows(test)}
values["validation_curve"] = vc

# ---- permutation_test_score -------------------------------------------------------------------------------------
pt = {}
score, perm, p = permutation_test_score(ridge(), X_diabetes, y_diabetes, cv=KFold(5), scoring="r2",
                                        n_permutations=30, random_state=0)
pt["diabetes_r2"] = {"score": score, "permutation_scores": floats(perm), "p_value": p}
score, perm, p = permutation_test_score(logreg(), X_iris, y_iris, cv=StratifiedKFold(5, shuffle=True, random_state=0),
                                        n_permutations=20, random_state=7)
pt["iris_accuracy"] = {"score": score, "permutation_scores": floats(perm), "p_value": p}
# Noise features: about half the permuted scores beat the true one.
rs = np.random.RandomState(5)
X_noise = rs.normal(size=(60, 3))
y_noise = rs.normal(size=60)
score, perm, p = permutation_test_score(ridge(), X_noise, y_noise, cv=KFold(3), scoring="r2", n_permutations=40,
                                        random_state=11)
pt["noise"] = {"X": rows(X_noise), "y": floats(y_noise), "score": score, "permutation_scores": floats(perm),
               "p_value": p}
values["permutation_test_score"] = pt

# ---- permutation_importance -------------------------------------------------------------------------------------
pi = {}
model = ridge(1.0).fit(X_diabetes, y_diabetes)
r = permutation_importance(model, X_diabetes, y_diabetes, n_repeats=5, random_state=0,
                           scoring=["r2", "neg_mean_squared_error"])
pi["diabetes"] = {name: {"mean": floats(r[name].importances_mean), "std": floats(r[name].importances_std),
                         "raw": rows(r[name].importances)} for name in ["r2", "neg_mean_squared_error"]}
model = logreg().fit(X_cancer[:400], y_cancer[:400])
r = permutation_importance(model, X_cancer[400:], y_cancer[400:], n_repeats=4, random_state=42)
pi["cancer_accuracy"] = {"mean": floats(r.importances_mean), "std": floats(r.importances_std),
                         "raw": rows(r.importances)}
values["permutation_importance"] = pi

# ---- groups: the group splitters through every function that takes groups, and permutations within groups ------
gr = {}
groups_diabetes = np.random.RandomState(17).randint(0, 12, size=len(y_diabetes))
gr["diabetes_groups"] = ints(groups_diabetes)
gr["cross_val_predict_group_kfold"] = floats(cross_val_predict(ridge(2.0), X_diabetes, y_diabetes, cv=GroupKFold(5),
                                                               groups=groups_diabetes))
gr["cross_val_predict_leave_one_group_out"] = floats(cross_val_predict(ridge(), X_diabetes, y_diabetes,
                                                                       cv=LeaveOneGroupOut(), groups=groups_diabetes))
sizes, train, test = learning_curve(ridge(), X_diabetes, y_diabetes, cv=GroupKFold(4), groups=groups_diabetes,
                                    scoring="r2", train_sizes=[0.3, 0.6, 1.0], shuffle=True, random_state=2)
gr["learning_curve"] = {"sizes": ints(sizes), "train": rows(train), "test": rows(test)}
train, test = validation_curve(ridge(), X_diabetes, y_diabetes, param_name="ridge__alpha", param_range=[0.1, 1.0, 10.0],
                               cv=GroupKFold(3), groups=groups_diabetes, scoring="r2")
gr["validation_curve"] = {"values": [0.1, 1.0, 10.0], "train": rows(train), "test": rows(test)}
score, perm, p = permutation_test_score(ridge(), X_diabetes, y_diabetes, groups=groups_diabetes, cv=GroupKFold(4),
                                        scoring="r2", n_permutations=15, random_state=3)
gr["permutation_test_score"] = {"score": score, "permutation_scores": floats(perm), "p_value": p}
groups_iris = np.random.RandomState(4).randint(0, 5, size=len(y_iris))
gr["iris_groups"] = ints(groups_iris)
score, perm, p = permutation_test_score(logreg(), X_iris, y_iris, groups=groups_iris,
                                        cv=StratifiedKFold(5, shuffle=True, random_state=0), n_permutations=10,
                                        random_state=5)
gr["permutation_test_score_within_groups"] = {"score": score, "permutation_scores": floats(perm), "p_value": p}
values["groups"] = gr

# ---- statistics -------------------------------------------------------------------------------------------------
st = {}
rs = np.random.RandomState(0)
ttests = []
for k, n_train, n_test, shift in [(10, 90, 10, 0.01), (15, 400, 100, 0.002), (5, 120, 30, -0.03)]:
    a = 0.8 + 0.02 * rs.normal(size=k)
    b = a - shift + 0.01 * rs.normal(size=k)
    d = a - b
    # scikit-learn's example "Statistical comparison of models using grid search" (corrected_std, two-sided here).
    corrected_var = np.var(d, ddof=1) * (1 / k + n_test / n_train)
    t = np.mean(d) / np.sqrt(corrected_var)
    ttests.append({"a": floats(a), "b": floats(b), "n_train": n_train, "n_test": n_test, "t": t,
                   "p": 2 * stats.t.sf(np.abs(t), k - 1),
                   # with n_test / n_train negligible the test is the plain paired t-test
                   "ttest_rel_t": stats.ttest_rel(a, b).statistic, "ttest_rel_p": stats.ttest_rel(a, b).pvalue})
st["corrected_ttest"] = ttests

mc = []
for n, p_a, p_b in [(200, 0.8, 0.7), (60, 0.9, 0.88), (25, 0.6, 0.6), (1000, 0.95, 0.93)]:
    y = rs.randint(0, 3, size=n)
    pred_a = np.where(rs.uniform(size=n) < p_a, y, (y + 1) % 3)
    pred_b = np.where(rs.uniform(size=n) < p_b, y, (y + 2) % 3)
    a, b = pred_a == y, pred_b == y
    table = [[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]]
    case = {"y": floats(y), "a": floats(pred_a), "b": floats(pred_b), "table": [ints(r) for r in table]}
    for name, exact, correction in [("exact", True, True), ("chi2", False, True), ("chi2_plain", False, False)]:
        r = mcnemar(table, exact=exact, correction=correction)
        case[name] = {"statistic": r.statistic, "p": r.pvalue}
    mc.append(case)
st["mcnemar"] = mc

wx = []
a = rs.normal(size=12)
wx.append({"a": floats(a), "b": floats(a + 0.3 + rs.normal(size=12))})                  # exact, no ties
a = np.round(rs.normal(size=9), 1)
wx.append({"a": floats(a), "b": floats(np.round(a + np.array([.1, -.1, .2, .2, -.3, .1, .4, .2, .5]), 1))})  # tied |d|
a = np.round(rs.uniform(size=15), 1)
wx.append({"a": floats(a), "b": floats(np.round(a + rs.choice([-.1, 0, .1, .2], size=15), 1))})  # zeros: approx
a = rs.normal(size=70)
wx.append({"a": floats(a), "b": floats(a + 0.1 + rs.normal(size=70))})                  # 70 pairs: approx
for case in wx:
    r = stats.wilcoxon(case["a"], case["b"])
    case["statistic"], case["p"] = r.statistic, r.pvalue
st["wilcoxon"] = wx

fr = []
for n, k in [(6, 3), (10, 4), (8, 5)]:
    scores = np.round(0.7 + 0.1 * rs.uniform(size=(n, k)) + np.linspace(0, 0.05, k), 2)  # rounded: some ties
    r = stats.friedmanchisquare(*scores.T)
    fr.append({"scores": rows(scores), "statistic": r.statistic, "p": r.pvalue})
st["friedman"] = fr

p = np.array([0.01, 0.04, 0.03, 0.2, 0.04, 0.5, 0.001])
st["p_adjust"] = {"p": floats(p), "holm": floats(multipletests(p, method="holm")[1]),
                  "bonferroni": floats(multipletests(p, method="bonferroni")[1]),
                  "fdr_bh": floats(multipletests(p, method="fdr_bh")[1])}
st["studentized_range"] = {str(level): floats([stats.studentized_range.ppf(level, k, np.inf) for k in range(2, 11)])
                           for level in [0.95, 0.9]}
# Dietterich's 5x2cv paired t-test and Alpaydin's combined 5x2cv F-test, by their published formulas (as mlxtend's
# paired_ttest_5x2cv and combined_ftest_5x2cv compute them), scores repetition by repetition.
five = []
for shift in [0.02, 0.0, -0.05]:
    a = 0.85 + 0.02 * rs.normal(size=10)
    b = a - shift + 0.015 * rs.normal(size=10)
    d = (a - b).reshape(5, 2)
    variances = ((d - d.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    t = d[0, 0] / np.sqrt(variances.sum() / 5)
    f = (d ** 2).sum() / (2 * variances.sum())
    five.append({"a": floats(a), "b": floats(b), "t": t, "t_p": 2 * stats.t.sf(abs(t), 5), "f": f,
                 "f_p": stats.f.sf(f, 10, 5)})
st["five_by_two"] = five

# The Bayesian correlated t-test (Corani & Benavoli 2015), as baycomp's CorrelatedTTest: a Student t posterior with
# n - 1 degrees of freedom, location mean(d), scale sqrt((1 / n + rho / (1 - rho)) var(d)), rho = 1 / n_folds.
bayes = []
for n_folds, runs, rope in [(10, 1, 0.01), (5, 3, 0.0), (5, 2, 0.05)]:
    n = n_folds * runs
    a = 0.8 + 0.03 * rs.normal(size=n)
    b = a - 0.01 + 0.02 * rs.normal(size=n)
    d = a - b
    rho = 1 / n_folds
    posterior = stats.t(n - 1, loc=np.mean(d), scale=np.sqrt((1 / n + rho / (1 - rho)) * np.var(d, ddof=1)))
    left, right = posterior.cdf(-rope), posterior.sf(rope)
    bayes.append({"a": floats(a), "b": floats(b), "n_train": 90 * (n_folds - 1), "n_test": 90, "rope": rope,
                  "left": left, "rope_p": 1 - left - right, "right": right})
st["bayesian"] = bayes
values["statistics"] = st

print(json.dumps(out, indent=1))
