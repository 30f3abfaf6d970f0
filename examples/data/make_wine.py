"""Writes wine.csv from the copy of the UCI wine data bundled with scikit-learn (sklearn.datasets.load_wine), in
the layout of the other files here: a header of feature names, a last column `target`, and every number written
as the shortest text that reads back as the same float64.
Run:
    nice -n 19 /usr/bin/python3 examples/data/make_wine.py
"""
import csv
import os

import sklearn
from sklearn.datasets import load_wine

HERE = os.path.dirname(os.path.abspath(__file__))

data = load_wine()
assert data.data.shape == (178, 13), data.data.shape
with open(os.path.join(HERE, "wine.csv"), "w", newline="") as f:
    out = csv.writer(f, lineterminator="\n")
    out.writerow(list(data.feature_names) + ["target"])
    for row, label in zip(data.data, data.target):
        out.writerow([repr(float(v)) for v in row] + [int(label)])
print(f"wrote wine.csv from scikit-learn {sklearn.__version__}")
