"""Biomarker screen: choose a panel of assays, fit a ridge logistic model on it, cross-validate
the whole procedure and score a validation cohort."""

import copy

import numpy as np
import pandas as pd
from assay import CANDIDATES, arm_difference, load_assays


def kfold_indices(n_samples, n_folds=5, seed=0):
    """Shuffled folds: a list of (train_pos, test_pos), each position in exactly one test fold."""
    order = np.random.default_rng(seed).permutation(n_samples)
    folds = np.array_split(order, n_folds)
    return [(np.sort(np.concatenate(folds[:f] + folds[f + 1 :])), np.sort(folds[f]))
            for f in range(n_folds)]  # fmt: skip


def select_panel(X, y, k, max_corr=0.8):
    """Up to k assays (column names of X) among the CANDIDATES that best separate the arms,
    skipping any assay whose |correlation| with one already chosen exceeds `max_corr`."""
    t = arm_difference(X, y).abs()
    ranked = t.sort_values(ascending=False, kind="stable").index[:CANDIDATES]
    corr = np.corrcoef(X[ranked].to_numpy(), rowvar=False)  # (c, c), in ranked order
    chosen = []
    for j in range(len(ranked)):
        if all(abs(corr[j, i]) <= max_corr for i in chosen):
            chosen.append(j)
        if len(chosen) == k:
            break
    return [ranked[j] for j in chosen]


class Standardiser:
    """Centre each column on its mean and divide by its standard deviation (1 if it is 0)."""

    def fit(self, X):
        X = np.asarray(X, dtype=float)
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X):
        return (np.asarray(X, dtype=float) - self.mean_) / self.scale_


class RidgeLogistic:
    """Logistic regression with an L2 penalty `alpha` on the weights (not on the intercept),
    fitted by Newton's method."""

    def __init__(self, alpha=1.0, max_iter=50):
        self.alpha = alpha
        self.max_iter = max_iter

    def fit(self, Z, y):
        A = np.column_stack([np.ones(len(Z)), Z])  # (n, 1 + p)
        y = np.asarray(y, dtype=float)
        penalty = self.alpha * np.eye(A.shape[1])
        penalty[0, 0] = 0.0
        w = np.zeros(A.shape[1])
        for _ in range(self.max_iter):
            p = 0.5 * (1.0 + np.tanh(0.5 * (A @ w)))  # the sigmoid, without exp
            grad = A.T @ (p - y) + penalty @ w
            hess = A.T @ (A * (p * (1.0 - p))[:, None]) + penalty
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.max(np.abs(step)) < 1e-10:
                break
        self.intercept_, self.coef_ = float(w[0]), w[1:]
        return self

    def decision_function(self, Z):
        """Log-odds of response: (n,)."""
        return self.intercept_ + np.asarray(Z, dtype=float) @ self.coef_


class PanelModel:
    """A panel of assays, standardised, under a ridge logistic model.

    k : int, default 10
        The number of assays select_panel chooses.
    panel : list of assay names, default None
        A fixed panel (e.g. an existing kit's) to fit instead of choosing one.
    """

    def __init__(self, k=10, alpha=1.0, panel=None):
        self.k = k
        self.alpha = alpha
        self.panel = panel

    def fit(self, X, y):
        if self.panel is None:
            self.panel = select_panel(X, y, self.k)
        self.panel_ = list(self.panel)
        self.scaler_ = Standardiser().fit(X[self.panel_])
        self.model_ = RidgeLogistic(self.alpha).fit(self.scaler_.transform(X[self.panel_]), y)
        return self

    def decision_function(self, X):
        """Log-odds of response for the patients of X (any columns holding the panel): (n,)."""
        return self.model_.decision_function(self.scaler_.transform(X[self.panel_]))


def roc_auc(y, scores):
    """Area under the ROC curve: the chance that a responder outscores a non-responder, ties
    counting one half."""
    y = np.asarray(y)
    ranks = pd.Series(np.asarray(scores, dtype=float)).rank().to_numpy()  # ties: average rank
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def cross_validate(X, y, model, n_folds=5, seed=0):
    """Out-of-fold scores of ``model`` for every patient; each fold fits a copy of it.

    Returns a dict: folds (list of (train_pos, test_pos)), models (the fitted copy of each
    fold), scores (Series of out-of-fold log-odds, indexed like y), fold_aucs (n_folds,) and
    cv_auc, the AUC of all out-of-fold scores together.
    """
    folds = kfold_indices(len(y), n_folds, seed)
    scores = np.full(len(y), np.nan)
    models, fold_aucs = [], []
    for train, test in folds:
        fitted = copy.deepcopy(model).fit(X.iloc[train], y.iloc[train])
        scores[test] = fitted.decision_function(X.iloc[test])
        fold_aucs.append(roc_auc(y.iloc[test], scores[test]))
        models.append(fitted)
    return {
        "folds": folds,
        "models": models,
        "scores": pd.Series(scores, index=y.index),
        "fold_aucs": np.array(fold_aucs),
        "cv_auc": roc_auc(y, scores),
    }


def run_screen(export, k=10, n_folds=5, seed=0, panel=None):
    """The discovery report: the screen fitted on every patient (its panel and model go to the
    validation cohort), its cross-validated AUC, and the assays that separate the arms most.

    ``panel`` fits a fixed panel instead of choosing k assays.
    """
    X, y = load_assays(export)
    separation = arm_difference(X, y).abs().nlargest(CANDIDATES)  # (CANDIDATES,)
    model = PanelModel(k, panel=panel).fit(X, y)
    cv = cross_validate(X, y, model, n_folds, seed)
    return {
        "patients": len(y),
        "cv_auc": cv["cv_auc"],
        "fold_aucs": cv["fold_aucs"],
        "fold_models": cv["models"],
        "top_assays": separation,
        "panel": model.panel_,
        "model": model,
    }


def validate(model, export):
    """AUC of a fitted PanelModel on another cohort's export (which holds at least its panel)."""
    X, y = load_assays(export)
    return roc_auc(y, model.decision_function(X))
