"""Cross-validation must score "choose genes, then classify" as one procedure.

The tests are designed experiments: labels that nothing can predict must score near chance, and
what a fold learns (its genes, its predictions) must not move when only its held-out labels move.
"""

import numpy as np
import pytest
from katakit import assert_close, assert_finite, assert_partition, call_strict

K = 10
N_FOLDS = 5


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def noise(pipeline):
    """60 tumours x 500 genes whose response labels are pure noise."""
    return pipeline.make_expression(n_samples=60, n_genes=500, n_informative=0, seed=0)


def fold_rows(pipeline, fold, n=60):
    return pipeline.kfold_indices(n, N_FOLDS, seed=0)[fold][1]


def with_flipped(y, rows):
    out = np.array(y, copy=True)
    out[rows] = 1 - out[rows]
    return out


def test_random_labels_cross_validate_near_chance(pipeline):
    scores = []
    for seed in range(3):
        X, y = pipeline.make_expression(n_samples=60, n_genes=500, n_informative=0, seed=seed)
        scores.append(pipeline.cross_validate(X, y, K, N_FOLDS, seed=0)["cv_accuracy"])
    assert np.mean(scores) < 0.65, (
        f"on three data sets whose labels are pure noise (no gene is related to response), "
        f"cross_validate reports accuracies {np.round(scores, 3)} (mean {np.mean(scores):.3f}); "
        "an honest estimate is near 0.5: the cross-validated score is inflated"
    )


@pytest.mark.parametrize("fold", [0, 3])
def test_fold_genes_ignore_that_folds_held_out_labels(pipeline, noise, fold):
    X, y = noise
    rows = fold_rows(pipeline, fold)[::2]  # half of the fold's held-out tumours
    before = pipeline.cross_validate(X, y, K, N_FOLDS, seed=0)["selected"][fold]
    after = pipeline.cross_validate(X, with_flipped(y, rows), K, N_FOLDS, seed=0)["selected"][fold]
    assert set(np.asarray(before).tolist()) == set(np.asarray(after).tolist()), (
        f"fold {fold} used genes {sorted(np.asarray(before).tolist())}, and genes "
        f"{sorted(np.asarray(after).tolist())} after only the labels of {len(rows)} of its own "
        "held-out tumours were flipped: the genes a fold is scored with were chosen by "
        "looking at the answers it is scored on"
    )


def test_out_of_fold_predictions_ignore_their_labels(pipeline, noise):
    X, y = noise
    rows = fold_rows(pipeline, 0)
    before = pipeline.cross_validate(X, y, K, N_FOLDS, seed=0)["predictions"][rows]
    after = pipeline.cross_validate(X, with_flipped(y, rows), K, N_FOLDS, seed=0)["predictions"]
    changed = int(np.sum(before != after[rows]))
    assert changed == 0, (
        f"{changed} of the {len(rows)} out-of-fold predictions of fold 0 changed when only those "
        "tumours' own labels were flipped: a held-out prediction depends on its held-out label"
    )


def test_real_signal_is_found(pipeline):
    X, y = pipeline.make_expression(n_samples=60, n_genes=500, n_informative=5, effect=1.5, seed=1)
    result = pipeline.cross_validate(X, y, K, N_FOLDS, seed=0)
    assert result["cv_accuracy"] > 0.8, (
        f"with 5 genes that shift by 1.5 sd between classes, cross-validated accuracy is "
        f"{result['cv_accuracy']:.3f}; the signal supports well above 0.8"
    )
    found = [np.isin(np.arange(5), g).sum() for g in result["selected"]]
    assert min(found) >= 4, f"each fold should pick at least 4 of the 5 real genes, got {found}"


def test_folds_partition_rows(pipeline):
    folds = pipeline.kfold_indices(60, N_FOLDS, seed=0)
    assert len(folds) == N_FOLDS, f"kfold_indices(60, 5) gave {len(folds)} folds"
    for train_idx, test_idx in folds:
        assert_partition(train_idx, test_idx, n_rows=60, n_test=12)
    every = np.sort(np.concatenate([test for _, test in folds]))
    assert np.array_equal(every, np.arange(60)), "each row must be held out exactly once"


def test_select_top_k_ranks_by_absolute_correlation(pipeline):
    rng = np.random.default_rng(2)
    y = np.array([0, 1] * 20)
    noise = rng.normal(size=(40, 4))
    X = np.column_stack([noise[:, 0], -3 * y + 0.1 * noise[:, 1], noise[:, 2], y + noise[:, 3]])
    chosen = np.asarray(pipeline.select_top_k(X, y, 2))
    assert set(chosen.tolist()) == {1, 3}, (
        f"select_top_k picked columns {chosen.tolist()}; columns 1 (strongly negatively "
        "correlated) and 3 (positively correlated) carry the signal"
    )


@pytest.mark.edge
def test_select_top_k_skips_a_constant_gene(pipeline):
    y = np.array([0, 1, 0, 1, 1, 0])
    jitter = np.array([0.1, 0.0, 0.2, 0.1, 0.0, 0.3])
    X = np.column_stack([np.full(6, 5.0), y + jitter, np.arange(6.0)])
    chosen = call_strict(
        pipeline.select_top_k, X, y, 2, what="select_top_k(X with a constant gene)"
    )
    assert 0 not in np.asarray(chosen).tolist(), (
        f"select_top_k chose {np.asarray(chosen).tolist()}, including the constant gene 0"
    )


def test_nearest_centroid_hand_worked(pipeline):
    X = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 2.0]])
    model = pipeline.NearestCentroid().fit(X, np.array([0, 0, 1, 1]))
    assert_close(model.predict(np.array([[1.0, 1.0], [8.0, 5.0]])), [0, 1], what="predictions")


@pytest.mark.edge
def test_k_equal_to_all_genes(pipeline, noise):
    X, y = noise
    result = pipeline.cross_validate(X[:, :20], y, 20, N_FOLDS, seed=0)
    assert_finite(result["fold_accuracies"], what="cross_validate(..., k = all 20 genes)")
    assert len(result["predictions"]) == 60
