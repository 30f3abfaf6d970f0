#!/usr/bin/python3
"""Reference values for mlpipe's searches (tests/tuning/test_searches.cpp, "[searches]"):
- ParameterSampler candidates for several seeds and spaces (lists: sampling without replacement; distributions:
  scipy's uniform, loguniform and randint with numpy's legacy RandomState);
- successive halving schedules (n_candidates and n_resources per iteration) of HalvingGridSearchCV for several
  settings, read from a search over a cheap estimator;
- results tables (mean test scores to 6 digits and more) of RandomizedSearchCV and HalvingGridSearchCV on breast_cancer
  with predefined folds.

Run with Debian's scikit-learn:
    nice -n 19 /usr/bin/python3 tests/reference/tuning.py > tests/reference/tuning.json
"""
import json
import os
import sys
import warnings

import numpy as np
import scipy
import sklearn
from scipy.stats import loguniform, randint, uniform
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (HalvingGridSearchCV, HalvingRandomSearchCV, ParameterSampler, PredefinedSplit,
                                     RandomizedSearchCV, StratifiedKFold)
from sklearn.dummy import DummyClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import load  # noqa: E402

warnings.filterwarnings("ignore")


def plain(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


def sampler_case(name, dists, n_iter, seed):
    """ParameterSampler(dists, n_iter, random_state=seed): the candidates in order, paths as given ("a.b")."""
    out = []
    for p in ParameterSampler(dists, n_iter=n_iter, random_state=seed):
        out.append({k.replace("__", "."): plain(v) for k, v in p.items()})
    return {"name": name, "seed": seed, "n_iter": n_iter, "candidates": out}


samplers = []
lists = {"model__C": [0.01, 0.1, 1.0, 10.0], "select__k": [2, 5, 10, 20, 30]}
for seed in (0, 1, 42):
    samplers.append(sampler_case("lists_permutation", lists, 7, seed))          # ratio 0.35: a permutation
    samplers.append(sampler_case("lists_all", lists, 20, seed))                 # ratio 1: reservoir sampling
    samplers.append(sampler_case("lists_more_than_grid", lists, 30, seed))      # capped at the grid's 20
big = {"a": list(range(40)), "b": list(range(30))}
samplers.append(sampler_case("lists_tracking", big, 5, 3))                      # ratio 5/1200 < 0.01: tracking
samplers.append(sampler_case("lists_reservoir", big, 1190, 3))                  # ratio > 0.99: reservoir
mixed = {"model__C": loguniform(1e-3, 1e3), "select__k": randint(2, 31), "model__l1_ratio": uniform(0.25, 0.5),
         "model__penalty": ["l1", "l2", "elasticnet"]}
for seed in (0, 7):
    samplers.append(sampler_case("mixed", mixed, 12, seed))
two = [{"model__C": loguniform(1e-2, 1e2)}, {"model__C": [0.5, 2.0], "select__k": randint(1, 4)}]
samplers.append(sampler_case("two_spaces", two, 10, 5))


def schedule(n_candidates, n_samples, **kw):
    """HalvingGridSearchCV's n_candidates_ and n_resources_ for a grid of n_candidates over n_samples rows."""
    X = np.zeros((n_samples, 1))
    y = np.arange(n_samples) % 2
    grid = {"constant": [0] * 0 or None, "strategy": ["prior"]}
    grid = {"random_state": list(range(n_candidates))}  # DummyClassifier ignores it: a grid of any size
    search = HalvingGridSearchCV(DummyClassifier(strategy="prior"), grid, cv=2, **kw).fit(X, y)
    return {"n_candidates_in": n_candidates, "n_samples": n_samples,
            "settings": {k: v for k, v in kw.items()},
            "n_iterations": int(search.n_iterations_), "n_possible_iterations": int(search.n_possible_iterations_),
            "n_required_iterations": int(search.n_required_iterations_),
            "min_resources": int(search.min_resources_), "max_resources": int(search.max_resources_),
            "n_candidates": [int(v) for v in search.n_candidates_], "n_resources": [int(v) for v in search.n_resources_]}


schedules = [
    schedule(12, 569, factor=3),
    schedule(12, 569, factor=2),
    schedule(30, 1000, factor=3, min_resources="exhaust"),
    schedule(30, 1000, factor=3, min_resources=20),
    schedule(30, 1000, factor=3, min_resources=20, aggressive_elimination=True),
    schedule(100, 400, factor=3, aggressive_elimination=True),
    schedule(100, 400, factor=4, max_resources=300),
    schedule(7, 5000, factor=2.5),
    schedule(50, 200, factor=3, min_resources="exhaust", aggressive_elimination=True),
]

# Results tables on breast_cancer with the shipped folds.
X, y = load("breast_cancer.csv")
folds = np.loadtxt(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "data",
                                "breast_cancer_folds_sklearn_skf5_shuffle_seed0.csv"), delimiter=",", skiprows=1)
cv = PredefinedSplit(folds[:, 1].astype(int))
pipe = Pipeline([("scale", StandardScaler()), ("select", SelectKBest(f_classif, k=10)),
                 ("model", LogisticRegression(tol=1e-10, max_iter=1000))])


def table(search):
    r = search.cv_results_
    out = {"candidates": [{k.replace("__", "."): plain(v) for k, v in p.items()} for p in r["params"]],
           "mean_test_score": [float(v) for v in r["mean_test_score"]],
           "split_test_scores": [[float(r[f"split{s}_test_score"][c]) for s in range(cv.get_n_splits())]
                                 for c in range(len(r["params"]))],
           "best_index": int(search.best_index_)}
    if "iter" in r:
        out["iter"] = [int(v) for v in r["iter"]]
        out["n_resources"] = [int(v) for v in r["n_resources"]]
    return out


random_space = {"model__C": loguniform(1e-3, 1e3), "select__k": randint(2, 31)}
rs = RandomizedSearchCV(pipe, random_space, n_iter=8, random_state=0, cv=cv).fit(X, y)
list_space = {"model__C": [0.01, 0.1, 1.0, 10.0], "select__k": [5, 10, 20]}
rs_lists = RandomizedSearchCV(pipe, list_space, n_iter=5, random_state=3, cv=cv).fit(X, y)
hgs = HalvingGridSearchCV(pipe, list_space, factor=3, cv=cv, random_state=0).fit(X, y)
hgs_iter = HalvingGridSearchCV(pipe, list_space, factor=2, resource="model__max_iter", max_resources=40,
                               min_resources=5, cv=cv).fit(X, y)

print(json.dumps({
    "produced_by": f"scikit-learn {sklearn.__version__}, scipy {scipy.__version__}, numpy {np.__version__}",
    "values": {"samplers": samplers, "schedules": schedules,
               "random_search": table(rs), "random_search_lists": table(rs_lists),
               "halving_grid_search": table(hgs), "halving_grid_search_max_iter": table(hgs_iter)}},
    indent=1))
