"""Deterministic, stratified train/test splits."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Split(NamedTuple):
    """x_train and y_train may go to the student's process (with x_test); y_test never does."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def stratified_split(x, y, *, test_fraction: float = 0.2, seed: int = 0) -> Split:
    """Each class split in the same proportion, the same for the same seed on any machine
    (numpy's PCG64 stream). Both parts come shuffled."""
    x, y = np.asarray(x), np.asarray(y)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)} labels")
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        members = members[rng.permutation(len(members))]
        n_test = int(round(len(members) * test_fraction))
        test_idx.append(members[:n_test])
        train_idx.append(members[n_test:])
    train = np.concatenate(train_idx)
    test = np.concatenate(test_idx)
    train, test = train[rng.permutation(len(train))], test[rng.permutation(len(test))]
    return Split(x[train], y[train], x[test], y[test])
