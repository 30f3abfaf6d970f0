#!/usr/bin/python3
"""Reference values for mlpipe's feature-selection tests: scikit-learn's f_classif, f_regression, SelectKBest and
VarianceThreshold, and the special functions behind their p-values from scipy and from mpmath at 60 digits.

Run with Debian's scikit-learn and mpmath (apt-get install python3-sklearn python3-mpmath):
    /usr/bin/python3 tests/reference/feature_selection.py > tests/reference/feature_selection.json
The tests read the JSON; they never need Python.

Special functions: each point carries the exact value (mpmath, 60 digits, rounded to a double) and scipy's (the
cephes code scikit-learn's p-values come from), so a test can check mlpipe against the truth and show where scipy
itself is off (by up to 1e-5 relative for parameters near 1e8, where it subtracts log-gammas of 1e9). The exact
values come from the continued fraction evaluated at 60 digits, checked against mpmath's hypergeometric betainc
wherever that converges. NaN in a result is written as null and infinities as "inf" and "-inf" (JSON has neither).
"""
import json
import warnings

import mpmath
import numpy as np
import scipy
import sklearn
from scipy import special, stats
from sklearn.feature_selection import SelectKBest, VarianceThreshold, f_classif, f_regression
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from common import load, floats, ints, rows

warnings.simplefilter("ignore")  # constant features, NaN columns: scikit-learn warns, the values are what we want
mpmath.mp.dps = 60


def indices(a):
    return [int(i) for i in a]


values = {}
out = {
    "produced_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, scipy {scipy.__version__}, "
                   f"mpmath {mpmath.__version__}",
    "values": values,
}

# ---- special functions -------------------------------------------------------------------------------------------


def cf_lower(a, b, x, y):
    """I_x(a, b) by its continued fraction (modified Lentz), at mpmath's precision; for x below the switch point."""
    front = mpmath.exp(a * mpmath.log(x) + b * mpmath.log(y) - mpmath.log(mpmath.beta(a, b))) / a
    tiny = mpmath.mpf(10) ** -300
    f = c = mpmath.mpf(1)
    d = mpmath.mpf(0)
    for i in range(10 ** 7):
        m = i // 2
        if i == 0:
            num = mpmath.mpf(1)
        elif i % 2 == 0:
            num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        else:
            num = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1 + num * d
        d = 1 / (tiny if abs(d) < tiny else d)
        c = 1 + num / c
        c = tiny if abs(c) < tiny else c
        f *= c * d
        if abs(1 - c * d) < mpmath.mpf(10) ** -55:
            return front * (f - 1)
    raise RuntimeError("the continued fraction did not converge")


def exact_tails(a, b, x, y):
    """(I_x(a, b), 1 - I_x(a, b)) at 60 digits; x and y = 1 - x exact (mpmath numbers)."""
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    if x > (a + 1) / (a + b + 2):
        upper = cf_lower(b, a, y, x)
        return 1 - upper, upper
    lower = cf_lower(a, b, x, y)
    return lower, 1 - lower


def check_against_mpmath(a, b, x, lower):
    """The continued fraction agrees with mpmath's own betainc (hypergeometric series) where that converges."""
    if max(a, b) > 1e4:
        return  # the series does not converge there (mpmath gives up), and trying takes minutes
    try:
        reference = mpmath.betainc(a, b, 0, x, regularized=True)
    except (ValueError, mpmath.libmp.NoConvergence):
        return
    assert abs(lower - reference) <= mpmath.mpf(10) ** -40 * abs(reference), (a, b, x)


betainc_points = [
    (0.5, 0.5, 0.001), (0.5, 0.5, 0.999), (1.0, 1.0, 0.3), (2.5, 3.0, 0.3), (2.5, 3.0, 0.9), (10.0, 100.0, 0.2),
    (10.0, 100.0, 0.02), (0.5, 7.0, 0.1), (7.0, 0.5, 0.95), (283.5, 0.5, 0.999), (283.5, 0.5, 0.5),
    (1.0, 1000.0, 1e-300), (0.5, 1000.0, 1e-300), (2.5, 1000.0, 0.5), (10.0, 1000.0, 0.5), (1.5, 1e6, 1e-5),
    (1e4, 1e4, 0.499), (1e4, 1e4, 0.45), (1e6, 1e6, 0.4995), (1e6, 1e6, 0.5), (1e8, 1e8, 0.49995),
    (1e8, 1e6, 0.99), (1e10, 0.5, 1 - 1e-9), (0.5, 1e10, 1e-11), (10.0, 1e10, 1.0999999989e-09),
    (283.5, 1e10, 8.504999758883256e-09), (283.5, 1e10, 3.1184999115905276e-08), (1e8, 1e10, 0.009900990099009901),
]
betainc_values = []
for a, b, x in betainc_points:
    xm = mpmath.mpf(x)
    lower, upper = exact_tails(a, b, xm, 1 - xm)
    check_against_mpmath(a, b, xm, lower)
    betainc_values.append({"a": a, "b": b, "x": x, "betainc": float(lower), "betaincc": float(upper),
                           "scipy_betainc": float(special.betainc(a, b, x))})

# F survival function: F, d1, d2, from p near 1 down to 1e-300.
f_points = [
    (0.5, 1, 10), (1.0, 1, 1), (1e-10, 3, 7), (2.5, 5, 2.5), (3.0, 2, 567), (30.0, 1, 440), (700.0, 1, 567),
    (964.3853934517133, 1, 567), (1500.0, 2, 567), (5000.0, 1, 440), (6000.0, 1, 567), (1e5, 1, 10), (50.0, 29, 1e5),
    (0.9, 29, 1e5), (3.0, 1, 1e9), (30.0, 1, 1e9), (700.0, 1, 1e9), (1e30, 1, 567),
]
f_values = []
for F, d1, d2 in f_points:
    Fm, d1m, d2m = mpmath.mpf(F), mpmath.mpf(d1), mpmath.mpf(d2)
    lower, _ = exact_tails(d2m / 2, d1m / 2, d2m / (d2m + d1m * Fm), d1m * Fm / (d2m + d1m * Fm))
    f_values.append({"F": F, "d1": d1, "d2": d2, "sf": float(lower), "scipy_sf": float(stats.f.sf(F, d1, d2))})

# Student t survival function: t, df.
t_points = [(0.5, 3), (-2.0, 10), (3.0, 1e6), (30.0, 5), (40.0, 200), (-40.0, 200), (1e-8, 1e6), (0.0, 7),
            (-3.0, 0.7), (1e5, 10), (-1e5, 10)]
t_values = []
for t, df in t_points:
    tm, dfm = mpmath.mpf(t), mpmath.mpf(df)
    lower, upper = exact_tails(dfm / 2, mpmath.mpf(0.5), dfm / (dfm + tm * tm), tm * tm / (dfm + tm * tm))
    sf = lower / 2 if t >= 0 else mpmath.mpf(0.5) + upper / 2
    t_values.append({"t": t, "df": df, "sf": float(sf), "scipy_sf": float(stats.t.sf(t, df))})

values["special_functions"] = {"betainc": betainc_values, "f_sf": f_values, "t_sf": t_values}

# ---- univariate scores -------------------------------------------------------------------------------------------

Xi, yi = load("iris.csv")
F, p = f_classif(Xi, yi)
values["f_classif_iris"] = {
    "F": floats(F), "p": floats(p),
    "support_by_k": {str(k): indices(SelectKBest(k=k).fit(Xi, yi).get_support(indices=True)) for k in range(1, 5)},
}

# Small hand-made cases where scikit-learn's one-pass sums are exact: a feature equal to the label (F = inf), a
# constant 5 (0 / 0 = NaN), between-class means equal (F = 0), constant within each class (F = inf), a plain one;
# three unequal classes with non-integer labels.
y_small = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.5, 2.5, -1.0, -1.0])
X_small = np.column_stack([
    y_small,
    np.full(10, 5.0),
    [1, 2, 3, 1, 2, 3, 2, 2, 2, 2.0],
    [5, 5, 5, 7, 7, 7, 9, 9, 3, 3.0],
    [0.3, -1.2, 2.5, 0.7, 1.1, 3.2, -0.4, 0.9, 1.6, 2.2],
])
F, p = f_classif(X_small, y_small)
values["f_classif_small"] = {"X": rows(X_small), "y": floats(y_small), "F": floats(F), "p": floats(p)}

# f_regression: x == y, x == -y, x == 2 y + 1 (perfect correlation: F = max double, p = 0), a constant 0.1 (F = 0,
# p = 1), a plain feature.
y_reg = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
X_reg = np.column_stack([y_reg, -y_reg, 2 * y_reg + 1, np.full(6, 0.1), [1.0, 0.0, 1.0, 0.0, 1.0, 1.0]])
F, p = f_regression(X_reg, y_reg)
values["f_regression_small"] = {"X": rows(X_reg), "y": floats(y_reg), "F": floats(F), "p": floats(p)}

Xb, yb = load("breast_cancer.csv")
F, p = f_regression(Xb, yb)
values["f_regression_breast_cancer"] = {"F": floats(F), "p": floats(p)}

# ---- select_k_best -----------------------------------------------------------------------------------------------

values["select_k_best_breast_cancer"] = {
    "support_by_k": {str(k): indices(SelectKBest(k=k).fit(Xb, yb).get_support(indices=True))
                     for k in [1, 2, 5, 10, 20, 29, 30]},
    "transform_k10_first3_rows": rows(SelectKBest(k=10).fit(Xb, yb).transform(Xb[:3])),
}

Xd, yd = load("diabetes.csv")
values["select_k_best_diabetes_f_regression"] = {
    "support_by_k": {str(k): indices(SelectKBest(f_regression, k=k).fit(Xd, yd).get_support(indices=True))
                     for k in [1, 3, 5, 9, 10]},
}

# Ties and NaN scores: breast_cancer columns repeated (equal F), and constant columns (F = NaN, the lowest).
tie_columns = [3, 0, 3, 7, 0, 7, 7, {"constant": 5.0}, 1, {"constant": 0.0}, {"constant": 5.0}]
X_ties = np.column_stack([np.full(len(yb), c["constant"]) if isinstance(c, dict) else Xb[:, c] for c in tie_columns])
selector = SelectKBest(k="all").fit(X_ties, yb)
values["select_k_best_ties"] = {
    "columns": tie_columns,
    "scores": floats(selector.scores_),
    "support_by_k": {str(k): indices(SelectKBest(k=k).fit(X_ties, yb).get_support(indices=True))
                     for k in range(1, len(tie_columns) + 1)},
}

# Duplicated breast_cancer columns at positions of either parity (569 rows: every other column starts on a 16-byte
# boundary), so that the k cut falls between copies: scikit-learn gives copies the same score, keeps the later ones.
# f_classif against the labels; f_regression against column 4 (mean smoothness) as a real-valued target.
duplicate_columns = [27, 22, 0, 27, 7, 1, 22, 20, 7, 2, 20, 3, 27, 23, 2]
X_dup = Xb[:, duplicate_columns]
regression_target = 4
values["select_k_best_duplicates"] = {
    "columns": duplicate_columns,
    "f_classif_support_by_k": {str(k): indices(SelectKBest(k=k).fit(X_dup, yb).get_support(indices=True))
                               for k in range(1, len(duplicate_columns) + 1)},
    "f_regression_target_column": regression_target,
    "f_regression_support_by_k": {
        str(k): indices(SelectKBest(f_regression, k=k).fit(X_dup, Xb[:, regression_target]).get_support(indices=True))
        for k in range(1, len(duplicate_columns) + 1)},
}

# StandardScaler -> SelectKBest(k) -> Ridge on breast_cancer (labels as a regression target).
pipes = {}
for k in [10, "all"]:
    pipe = make_pipeline(StandardScaler(), SelectKBest(k=k), Ridge(alpha=1.0, solver="cholesky")).fit(Xb, yb)
    pipes[str(k)] = {
        "support": indices(pipe[1].get_support(indices=True)),
        "coef_": floats(pipe[-1].coef_),
        "intercept_": float(pipe[-1].intercept_),
        "predict_first5": floats(pipe.predict(Xb[:5])),
    }
values["scaler_select_ridge_breast_cancer"] = pipes

# ---- variance_threshold ------------------------------------------------------------------------------------------

values["variance_threshold_breast_cancer"] = [
    {"threshold": t, "variances_": floats(v.variances_), "support": indices(v.get_support(indices=True))}
    for t in [0.0, 1e-4, 0.01, 1.0, 100.0] for v in [VarianceThreshold(threshold=t).fit(Xb)]
]

# diabetes with about 10% of its entries missing (NaN at the listed [row, column] positions).
rng = np.random.RandomState(7)
mask = rng.uniform(size=Xd.shape) < 0.1
Xdm = Xd.copy()
Xdm[mask] = np.nan
values["variance_threshold_diabetes_missing"] = {
    "missing": [[int(i), int(j)] for i, j in zip(*np.nonzero(mask))],
    "cases": [
        {"threshold": t, "variances_": floats(v.variances_), "support": indices(v.get_support(indices=True)),
         "transform_first5_rows": rows(v.transform(Xdm[:5]))}
        for t in [0.0, 0.00227, 0.0023] for v in [VarianceThreshold(threshold=t).fit(Xdm)]
    ],
}

# Hand-made columns: constant; constant with a missing value; all missing; [0, 10] (range 10 below variance 25:
# with threshold 0 scikit-learn reports the range); variance exactly 1 (a tie with threshold 1 is dropped); plain.
nan = np.nan
X_var = np.array([
    [3.0, 2.0, nan, 0.0, 0.0, 0.5],
    [3.0, nan, nan, 10.0, 2.0, 1.5],
    [3.0, 2.0, nan, 0.0, 0.0, -0.25],
    [3.0, 2.0, nan, 10.0, 2.0, 4.0],
])
values["variance_threshold_small"] = {
    "X": rows(X_var),
    "cases": [
        {"threshold": t, "variances_": floats(v.variances_), "support": indices(v.get_support(indices=True)),
         "transform": rows(v.transform(X_var))}
        for t in [0.0, 0.5, 1.0] for v in [VarianceThreshold(threshold=t).fit(X_var)]
    ],
}

# ---- more scores: chi2, f_regression without force_finite, r_regression, mutual information ----------------------

from sklearn.feature_selection import (GenericUnivariateSelect, SelectFdr, SelectFpr, SelectFwe, SelectPercentile,
                                       chi2, mutual_info_classif, mutual_info_regression, r_regression)

Xi_labels = yi * 3 + 5  # three classes labelled 5, 8, 11
values["chi2"] = {
    "breast_cancer": {"score": floats(chi2(Xb, yb)[0]), "p": floats(chi2(Xb, yb)[1])},
    "iris_relabelled": {"y": floats(Xi_labels), "score": floats(chi2(Xi, Xi_labels)[0]),
                        "p": floats(chi2(Xi, Xi_labels)[1])},
}
# Without force_finite a constant feature is 0 / 0: NaN where scikit-learn's sums cancel exactly (a column of zeros;
# a column of 0.1 leaves a rounding residue and gives 0), so the small case holds zeros there.
X_reg0 = X_reg.copy()
X_reg0[:, 3] = 0.0
F, p = f_regression(X_reg0, y_reg, force_finite=False)
values["f_regression_not_forced"] = {"X": rows(X_reg0), "F": floats(F), "p": floats(p)}
values["r_regression"] = {
    "small_forced": floats(r_regression(X_reg0, y_reg)),
    "small_not_forced": floats(r_regression(X_reg0, y_reg, force_finite=False)),
    "breast_cancer_target_column_4": floats(r_regression(np.delete(Xb, 4, axis=1), Xb[:, 4])),
}

# Mixed data: 300 rows, two integer-valued columns (discrete), three continuous ones, classes 2, 7 and 9.
rng = np.random.RandomState(3)
n_mixed = 300
y_mixed = rng.choice([2.0, 7.0, 9.0], size=n_mixed)
X_mixed = np.column_stack([
    rng.randint(0, 4, size=n_mixed) + (y_mixed == 7.0),
    rng.randint(0, 3, size=n_mixed).astype(float),
    rng.normal(size=n_mixed) + y_mixed / 3,
    rng.exponential(size=n_mixed),
    np.round(rng.normal(size=n_mixed), 1) * (1 + (y_mixed == 9.0)),
]).astype(float)
y_mixed_real = X_mixed[:, 2] * 2 + rng.normal(size=n_mixed) + X_mixed[:, 0]
mask = [True, True, False, False, False]
values["mutual_info"] = {
    "breast_cancer_classif_k3_seed0": floats(mutual_info_classif(Xb, yb, n_neighbors=3, random_state=0)),
    "breast_cancer_classif_k5_seed7": floats(mutual_info_classif(Xb, yb, n_neighbors=5, random_state=7)),
    "diabetes_regression_k3_seed0": floats(mutual_info_regression(Xd, yd, n_neighbors=3, random_state=0)),
    "mixed_X": rows(X_mixed), "mixed_y": floats(y_mixed), "mixed_y_real": floats(y_mixed_real),
    "mixed_classif_mask": floats(mutual_info_classif(X_mixed, y_mixed, discrete_features=mask, random_state=0)),
    "mixed_classif_all_discrete": floats(mutual_info_classif(X_mixed, y_mixed, discrete_features=True,
                                                             random_state=0)),
    "mixed_regression_mask": floats(mutual_info_regression(X_mixed, y_mixed_real, discrete_features=mask,
                                                           random_state=1)),
    "mixed_regression_auto": floats(mutual_info_regression(X_mixed, y_mixed_real, random_state=1)),
}

# ---- univariate selectors -----------------------------------------------------------------------------------------


def support(selector, X, y):
    return indices(selector.fit(X, y).get_support(indices=True))


values["univariate_selectors"] = {
    "percentile_f_classif": {str(q): support(SelectPercentile(percentile=q), Xb, yb)
                             for q in [0, 1, 5, 10, 20, 33, 50, 66.6, 99, 100]},
    "percentile_ties": {str(q): support(SelectPercentile(percentile=q), X_ties, yb)
                        for q in [5, 10, 20, 25, 30, 40, 50, 60, 70, 80, 90, 95]},
    "percentile_mutual_info": support(SelectPercentile(lambda X, y: mutual_info_classif(X, y, n_neighbors=3,
                                                                                        random_state=0),
                                                       percentile=20), Xb, yb),
    "fpr_f_classif": {str(a): support(SelectFpr(alpha=a), Xb, yb) for a in [1e-100, 1e-30, 1e-10, 0.01, 0.5, 1.0]},
    "fdr_f_classif": {str(a): support(SelectFdr(alpha=a), Xb, yb) for a in [1e-100, 1e-30, 1e-10, 0.01, 0.5, 1.0]},
    "fwe_f_classif": {str(a): support(SelectFwe(alpha=a), Xb, yb) for a in [1e-100, 1e-30, 1e-10, 0.01, 0.5, 1.0]},
    "fdr_chi2_iris": {str(a): support(SelectFdr(chi2, alpha=a), Xi, Xi_labels) for a in [1e-30, 1e-20, 0.05]},
    "fdr_f_regression_diabetes": {str(a): support(SelectFdr(f_regression, alpha=a), Xd, yd)
                                  for a in [1e-20, 1e-5, 0.05, 0.5]},
    "generic": {f"{mode}_{param}": support(GenericUnivariateSelect(mode=mode, param=param), Xb, yb)
                for mode, param in [("percentile", 10), ("k_best", 7), ("fpr", 1e-20), ("fdr", 1e-20),
                                    ("fwe", 1e-20)]},
}

# ---- model-based selectors ----------------------------------------------------------------------------------------

from sklearn.feature_selection import RFE, RFECV, SelectFromModel
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

Xs = StandardScaler().fit_transform(Xb)
tight_lr = LogisticRegression(C=1.0, tol=1e-12, max_iter=100000)
tight_iris_lr = LogisticRegression(C=0.5, tol=1e-12, max_iter=100000)
Xis = StandardScaler().fit_transform(Xi)
values["select_from_model"] = {
    "ridge_diabetes": {str(t): indices(SelectFromModel(Ridge(alpha=1.0, solver="cholesky"), threshold=t)
                                       .fit(Xd, yd).get_support(indices=True))
                       for t in ["mean", "median", "1.5*mean", "0.5*median", 0.02]},
    "lr_breast_cancer": {str(t): indices(SelectFromModel(tight_lr, threshold=t).fit(Xs, yb).get_support(indices=True))
                         for t in ["mean", "median", "1.25*mean"]},
    "lr_breast_cancer_max_features_5": indices(SelectFromModel(tight_lr, threshold=-np.inf, max_features=5)
                                               .fit(Xs, yb).get_support(indices=True)),
    "lr_iris_norm_order": {str(o): indices(SelectFromModel(tight_iris_lr, threshold="mean", norm_order=o)
                                           .fit(Xis, yi).get_support(indices=True)) for o in [1, 2]},
}
values["rfe"] = {
    "lr_breast_cancer": {f"{k}_{step}": ints(RFE(tight_lr, n_features_to_select=k, step=step).fit(Xs, yb).ranking_)
                         for k, step in [(10, 1), (5, 3), (0.5, 0.1), (1, 0.25)]},
    "ridge_diabetes": ints(RFE(Ridge(alpha=1.0, solver="cholesky"), n_features_to_select=3).fit(Xd, yd).ranking_),
}
cv_bc = RFECV(tight_lr, step=1, min_features_to_select=1, cv=StratifiedKFold(5), scoring="accuracy").fit(Xs, yb)
cv_d = RFECV(Ridge(alpha=1.0, solver="cholesky"), step=2, min_features_to_select=2, cv=5, scoring="r2").fit(Xd, yd)
values["rfecv"] = {
    name: {"n_features": int(r.n_features_), "ranking": ints(r.ranking_),
           "mean_test_score": floats(r.cv_results_["mean_test_score"]),
           "std_test_score": floats(r.cv_results_["std_test_score"])}
    for name, r in [("lr_breast_cancer", cv_bc), ("ridge_diabetes", cv_d)]
}

# ---- sequential selection -----------------------------------------------------------------------------------------

from sklearn.feature_selection import SequentialFeatureSelector
from sklearn.model_selection import KFold


def sfs(estimator, X, y, **kw):
    return indices(SequentialFeatureSelector(estimator, **kw).fit(X, y).get_support(indices=True))


values["sequential"] = {
    "lr_breast_cancer_forward_5": sfs(tight_lr, Xs, yb, n_features_to_select=5, direction="forward",
                                      cv=StratifiedKFold(5)),
    "lr_breast_cancer_backward_27": sfs(tight_lr, Xs, yb, n_features_to_select=27, direction="backward",
                                        cv=StratifiedKFold(5)),
    "ridge_diabetes_forward_auto_tol": sfs(Ridge(alpha=1.0, solver="cholesky"), Xd, yd, n_features_to_select="auto",
                                           tol=0.01, direction="forward", cv=KFold(5)),
    "ridge_diabetes_backward_auto_tol": sfs(Ridge(alpha=1.0, solver="cholesky"), Xd, yd, n_features_to_select="auto",
                                            tol=0.001, direction="backward", cv=KFold(5)),
    "ridge_diabetes_backward_fraction": sfs(Ridge(alpha=1.0, solver="cholesky"), Xd, yd, n_features_to_select=0.3,
                                            direction="backward", cv=KFold(5),
                                            scoring="neg_mean_absolute_error"),
}

# ---- exhaustive selection (mlxtend's ExhaustiveFeatureSelector: every subset by size, then combination; the first
# best mean cross-validated score) -----------------------------------------------------------------------------------

import itertools

from sklearn.model_selection import cross_val_score


def exhaustive(estimator, X, y, lo, hi, cv, scoring=None):
    best, best_score = None, -np.inf
    for k in range(lo, hi + 1):
        for subset in itertools.combinations(range(X.shape[1]), k):
            score = cross_val_score(estimator, X[:, subset], y, cv=cv, scoring=scoring).mean()
            if score > best_score:
                best, best_score = subset, score
    return {"support": [int(j) for j in best], "score": float(best_score)}


values["exhaustive"] = {
    "lr_iris_1_4": exhaustive(tight_iris_lr, Xis, yi, 1, 4, StratifiedKFold(3)),
    "ridge_diabetes_2_3": exhaustive(Ridge(alpha=1.0, solver="cholesky"), Xd, yd, 2, 3, KFold(5)),
}

# ---- selectors' own cross-validation with groups (scikit-learn's RFECV.fit(X, y, groups); SequentialFeatureSelector
# 1.2 takes no groups, so it gets GroupKFold's splits as a list; mlxtend's ExhaustiveFeatureSelector.fit(X, y, groups)
# is cross_val_score with groups) -------------------------------------------------------------------------------------

from sklearn.model_selection import GroupKFold

groups_bc = np.arange(len(yb)) // 50   # 12 groups of consecutive rows
groups_d = np.arange(len(yd)) % 7 + (np.arange(len(yd)) // 100) * 7   # 35 groups of unequal sizes
cv_bc_groups = RFECV(tight_lr, step=1, min_features_to_select=1, cv=GroupKFold(4), scoring="accuracy").fit(
    Xs, yb, groups=groups_bc)
cv_d_groups = RFECV(Ridge(alpha=1.0, solver="cholesky"), step=2, min_features_to_select=2, cv=GroupKFold(5),
                    scoring="r2").fit(Xd, yd, groups=groups_d)


def exhaustive_groups(estimator, X, y, lo, hi, cv, groups):
    best, best_score = None, -np.inf
    for k in range(lo, hi + 1):
        for subset in itertools.combinations(range(X.shape[1]), k):
            score = cross_val_score(estimator, X[:, subset], y, cv=cv, groups=groups).mean()
            if score > best_score:
                best, best_score = subset, score
    return {"support": [int(j) for j in best], "score": float(best_score)}


values["groups"] = {
    "breast_cancer": ints(groups_bc),
    "diabetes": ints(groups_d),
    "rfecv": {
        name: {"n_features": int(r.n_features_), "ranking": ints(r.ranking_),
               "mean_test_score": floats(r.cv_results_["mean_test_score"]),
               "std_test_score": floats(r.cv_results_["std_test_score"])}
        for name, r in [("lr_breast_cancer", cv_bc_groups), ("ridge_diabetes", cv_d_groups)]
    },
    "sequential": {
        "ridge_diabetes_forward_4": sfs(Ridge(alpha=1.0, solver="cholesky"), Xd, yd, n_features_to_select=4,
                                       direction="forward", cv=list(GroupKFold(5).split(Xd, yd, groups_d))),
        "lr_breast_cancer_backward_27": sfs(tight_lr, Xs, yb, n_features_to_select=27, direction="backward",
                                            cv=list(GroupKFold(4).split(Xs, yb, groups_bc))),
    },
    "exhaustive": {
        "ridge_diabetes_2_3": exhaustive_groups(Ridge(alpha=1.0, solver="cholesky"), Xd, yd, 2, 3, GroupKFold(5),
                                                groups_d),
    },
}

# One line per entry of "values": small diffs when a case changes, without a line per number.
print("{")
print(f' "produced_by": {json.dumps(out["produced_by"])},')
print(' "values": {')
for i, (key, value) in enumerate(values.items()):
    comma = "," if i + 1 < len(values) else ""
    print(f"  {json.dumps(key)}: {json.dumps(value, separators=(',', ':'), allow_nan=False)}{comma}")
print(" }")
print("}")
