#!/usr/bin/python3
"""Reference splits for mlpipe's splitters (tests/validation/test_splitters.cpp): every scikit-learn 1.2 splitter,
with and without shuffling, on targets and groups with ties, rare classes and many groups.

Run with Debian's scikit-learn (apt-get install python3-sklearn):
    /usr/bin/python3 tests/reference/splitters.py > tests/reference/splitters.json
The tests read the JSON; they never need Python. Each case gives the splitter's kind and its mlpipe parameters
(sizes: 0 is unset, a value in (0, 1) a fraction, a whole number a count), the rows, y and groups, and every split's
train and test rows in scikit-learn's order.
"""
import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn.model_selection import (GroupKFold, GroupShuffleSplit, KFold, LeaveOneGroupOut, LeaveOneOut,
                                     LeavePGroupsOut, LeavePOut, RepeatedKFold, RepeatedStratifiedKFold,
                                     ShuffleSplit, StratifiedGroupKFold, StratifiedKFold, StratifiedShuffleSplit,
                                     TimeSeriesSplit)

from common import load, floats, ints

out = {"produced_by": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}", "values": {}}
_, y_iris = load("iris.csv")
_, y_cancer = load("breast_cancer.csv")

rs = np.random.RandomState(3)
labels_3_7_12 = rs.choice([3.0, 7.0, 12.0], size=40, p=[0.5, 0.3, 0.2])
random4 = np.random.RandomState(1).randint(0, 4, size=53).astype(float)
binary30 = np.random.RandomState(5).randint(0, 2, size=30).astype(float)
# Groups: 12 groups of tied sizes over 40 rows; 35 groups over 120 rows (past numpy's 16-element insertion sort);
# groups with ids that are not 0..k-1.
groups40 = np.random.RandomState(7).randint(0, 12, size=40)
groups120 = np.random.RandomState(8).randint(0, 35, size=120)
groups_ties = np.repeat(np.arange(25), 3)[:70]          # 23 groups of 3, one of 1: many ties
groups_odd_ids = np.array([10, -4, 10, 7, 7, 99, -4, 99, 99, 10, 3, 3])
groups_iris = np.repeat(np.arange(30), 5)               # 30 groups of 5 consecutive rows
groups_cancer = np.random.RandomState(11).randint(0, 60, size=len(y_cancer))

cases = []


def size(v):
    """A test_size or train_size for scikit-learn: None for 0, an int for a whole number >= 1, else a float."""
    if v == 0:
        return None
    return int(v) if v >= 1 else float(v)


def make(kind, p):
    seed = p.get("seed", 0)
    if kind == "kfold":
        return KFold(p["n_splits"], shuffle=p["shuffle"], random_state=seed if p["shuffle"] else None)
    if kind == "stratified_kfold":
        return StratifiedKFold(p["n_splits"], shuffle=p["shuffle"], random_state=seed if p["shuffle"] else None)
    if kind == "repeated_kfold":
        return RepeatedKFold(n_splits=p["n_splits"], n_repeats=p["n_repeats"], random_state=seed)
    if kind == "repeated_stratified_kfold":
        return RepeatedStratifiedKFold(n_splits=p["n_splits"], n_repeats=p["n_repeats"], random_state=seed)
    if kind == "shuffle_split":
        return ShuffleSplit(p["n_splits"], test_size=size(p["test_size"]), train_size=size(p["train_size"]),
                            random_state=seed)
    if kind == "stratified_shuffle_split":
        return StratifiedShuffleSplit(p["n_splits"], test_size=size(p["test_size"]),
                                      train_size=size(p["train_size"]), random_state=seed)
    if kind == "group_kfold":
        return GroupKFold(p["n_splits"])
    if kind == "stratified_group_kfold":
        return StratifiedGroupKFold(p["n_splits"], shuffle=p["shuffle"], random_state=seed if p["shuffle"] else None)
    if kind == "group_shuffle_split":
        return GroupShuffleSplit(p["n_splits"], test_size=size(p["test_size"]), train_size=size(p["train_size"]),
                                 random_state=seed)
    if kind == "leave_one_out":
        return LeaveOneOut()
    if kind == "leave_p_out":
        return LeavePOut(p["p"])
    if kind == "leave_one_group_out":
        return LeaveOneGroupOut()
    if kind == "leave_p_groups_out":
        return LeavePGroupsOut(p["n_groups"])
    if kind == "time_series_split":
        return TimeSeriesSplit(p["n_splits"], gap=p["gap"], max_train_size=p["max_train_size"] or None,
                               test_size=p["test_size"] or None)
    raise ValueError(kind)


def case(name, kind, n_rows, y=None, groups=None, **params):
    cv = make(kind, params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stratified splitters warn when a class has fewer members than n_splits
        splits = list(cv.split(np.zeros((n_rows, 1)), y, groups))
        n_splits = cv.get_n_splits(np.zeros((n_rows, 1)), y, groups)
    assert n_splits == len(splits)
    p = {k: (float(v) if k in ("test_size", "train_size") and kind != "time_series_split" else v)
         for k, v in params.items()}
    cases.append({"name": name, "splitter": kind, "params": p, "n_rows": n_rows,
                  "y": None if y is None else floats(y), "groups": None if groups is None else ints(groups),
                  "splits": [{"train": ints(train), "test": ints(test)} for train, test in splits]})


case("kfold 4 shuffle seed 3 with groups (ignored)", "kfold", 40, groups=groups40, n_splits=4, shuffle=True, seed=3)
case("stratified_kfold 3 shuffle seed 1 on labels 3, 7, 12", "stratified_kfold", 40, labels_3_7_12,
     n_splits=3, shuffle=True, seed=1)
case("repeated_kfold 5 x 3 seed 0 on iris", "repeated_kfold", 150, n_splits=5, n_repeats=3, seed=0)
case("repeated_kfold 3 x 2 seed 42, 10 rows", "repeated_kfold", 10, n_splits=3, n_repeats=2, seed=42)
case("repeated_kfold 2 x 4 seed 2**32-1, 7 rows", "repeated_kfold", 7, n_splits=2, n_repeats=4, seed=2**32 - 1)
case("repeated_stratified_kfold 5 x 3 seed 0 on iris", "repeated_stratified_kfold", 150, y_iris,
     n_splits=5, n_repeats=3, seed=0)
case("repeated_stratified_kfold 3 x 2 seed 7 on labels 3, 7, 12", "repeated_stratified_kfold", 40, labels_3_7_12,
     n_splits=3, n_repeats=2, seed=7)
case("repeated_stratified_kfold 6 x 2 seed 11 on 4 classes", "repeated_stratified_kfold", 53, random4,
     n_splits=6, n_repeats=2, seed=11)
case("shuffle_split defaults seed 0, 20 rows", "shuffle_split", 20, n_splits=10, test_size=0, train_size=0, seed=0)
case("shuffle_split test 0.25 seed 1 on iris", "shuffle_split", 150, n_splits=5, test_size=0.25, train_size=0,
     seed=1)
case("shuffle_split test 3 train 5 seed 2, 11 rows", "shuffle_split", 11, n_splits=4, test_size=3, train_size=5,
     seed=2)
case("shuffle_split train 0.5 test 0.3 seed 9, 17 rows", "shuffle_split", 17, n_splits=3, test_size=0.3,
     train_size=0.5, seed=9)
case("shuffle_split train 0.6 only seed 4, 13 rows", "shuffle_split", 13, n_splits=3, test_size=0, train_size=0.6,
     seed=4)
case("stratified_shuffle_split defaults seed 0 on iris", "stratified_shuffle_split", 150, y_iris, n_splits=10,
     test_size=0, train_size=0, seed=0)
case("stratified_shuffle_split test 0.3 seed 5 on labels 3, 7, 12", "stratified_shuffle_split", 40, labels_3_7_12,
     n_splits=5, test_size=0.3, train_size=0, seed=5)
case("stratified_shuffle_split test 7 train 20 seed 3 on 4 classes (ties in the remainders)",
     "stratified_shuffle_split", 53, random4, n_splits=6, test_size=7, train_size=20, seed=3)
case("stratified_shuffle_split test 0.5 seed 12 on breast_cancer", "stratified_shuffle_split", 569, y_cancer,
     n_splits=3, test_size=0.5, train_size=0, seed=12)
case("stratified_shuffle_split test 3 train 3 seed 1 on 3 balanced classes", "stratified_shuffle_split", 12,
     np.repeat([0.0, 1.0, 2.0], 4), n_splits=4, test_size=3, train_size=3, seed=1)
case("group_kfold 3 on 12 groups of tied sizes", "group_kfold", 40, groups=groups40, n_splits=3)
case("group_kfold 5 on 35 groups", "group_kfold", 120, groups=groups120, n_splits=5)
case("group_kfold 4 on 24 groups, nearly all of 3 rows", "group_kfold", 70, groups=groups_ties, n_splits=4)
case("group_kfold 2 on ids 10, -4, 7, 99, 3", "group_kfold", 12, groups=groups_odd_ids, n_splits=2)
case("group_kfold 5 on iris's 30 groups of 5", "group_kfold", 150, y_iris, groups_iris, n_splits=5)
case("group_kfold 5 on breast_cancer's 60 groups", "group_kfold", 569, groups=groups_cancer, n_splits=5)
case("stratified_group_kfold 3 on labels 3, 7, 12", "stratified_group_kfold", 40, labels_3_7_12, groups40,
     n_splits=3, shuffle=False, seed=0)
case("stratified_group_kfold 3 shuffle seed 2 on labels 3, 7, 12", "stratified_group_kfold", 40, labels_3_7_12,
     groups40, n_splits=3, shuffle=True, seed=2)
case("stratified_group_kfold 5 on iris's 30 groups", "stratified_group_kfold", 150, y_iris, groups_iris,
     n_splits=5, shuffle=False, seed=0)
case("stratified_group_kfold 4 shuffle seed 0 on 35 groups, 2 classes", "stratified_group_kfold", 120,
     np.random.RandomState(9).randint(0, 2, size=120).astype(float), groups120, n_splits=4, shuffle=True, seed=0)
case("stratified_group_kfold 5 on breast_cancer's 60 groups", "stratified_group_kfold", 569, y_cancer,
     groups_cancer, n_splits=5, shuffle=False, seed=0)
case("stratified_group_kfold 9 shuffle seed 5 on 60 groups, 9 folds", "stratified_group_kfold", 569, y_cancer,
     groups_cancer, n_splits=9, shuffle=True, seed=5)
case("stratified_group_kfold 3 on 4 classes with 10 groups", "stratified_group_kfold", 53, random4,
     np.random.RandomState(4).randint(0, 10, size=53), n_splits=3, shuffle=False, seed=0)
case("stratified_group_kfold 8 on 9 classes with 24 groups", "stratified_group_kfold", 70,
     np.random.RandomState(6).randint(0, 9, size=70).astype(float), groups_ties, n_splits=8, shuffle=False, seed=0)
case("group_shuffle_split defaults seed 0 on 12 groups", "group_shuffle_split", 40, groups=groups40, n_splits=5,
     test_size=0, train_size=0, seed=0)
case("group_shuffle_split test 0.3 seed 4 on 35 groups", "group_shuffle_split", 120, groups=groups120, n_splits=4,
     test_size=0.3, train_size=0, seed=4)
case("group_shuffle_split test 2 train 2 seed 1 on ids 10, -4, 7, 99, 3", "group_shuffle_split", 12,
     groups=groups_odd_ids, n_splits=3, test_size=2, train_size=2, seed=1)
case("leave_one_out, 5 rows", "leave_one_out", 5)
case("leave_p_out 2, 5 rows", "leave_p_out", 5, p=2)
case("leave_p_out 3, 7 rows", "leave_p_out", 7, p=3)
case("leave_one_group_out on ids 10, -4, 7, 99, 3", "leave_one_group_out", 12, groups=groups_odd_ids)
case("leave_one_group_out on 12 groups", "leave_one_group_out", 40, groups=groups40)
case("leave_p_groups_out 2 on ids 10, -4, 7, 99, 3", "leave_p_groups_out", 12, groups=groups_odd_ids, n_groups=2)
case("leave_p_groups_out 3 on 12 groups", "leave_p_groups_out", 40, groups=groups40, n_groups=3)
case("time_series_split defaults, 20 rows", "time_series_split", 20, n_splits=5, gap=0, max_train_size=0,
     test_size=0)
case("time_series_split 3, 10 rows", "time_series_split", 10, n_splits=3, gap=0, max_train_size=0, test_size=0)
case("time_series_split 4 gap 2 max_train_size 5", "time_series_split", 23, n_splits=4, gap=2, max_train_size=5,
     test_size=0)
case("time_series_split 3 test_size 2 gap 1", "time_series_split", 12, n_splits=3, gap=1, max_train_size=0,
     test_size=2)
case("time_series_split 2 test_size 4 max_train_size 3", "time_series_split", 13, n_splits=2, gap=0,
     max_train_size=3, test_size=4)

out["values"]["splitters"] = cases
json.dump(out, sys.stdout, separators=(",", ":"))
sys.stdout.write("\n")
