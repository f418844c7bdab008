"""Cross-validated accuracy must estimate how the panel does on tumours it has not seen.

The tests are designed experiments: labels that nothing can predict must score near chance, and
what a fold learns (its genes, its predictions) must not move when only its held-out labels move.
"""

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_finite,
    assert_inputs_untouched,
    assert_partition,
    assert_reproducible,
    assert_seeded_split,
    call_strict,
)

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
    mean = float(np.mean(scores))
    assert mean < 0.65, (
        f"on three data sets whose labels are pure noise (no gene is related to response), "
        f"cross_validate reports accuracies {np.round(scores, 3).tolist()} (mean {mean:.3f}); "
        "no procedure can do better than about 0.5 on such labels"
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
        "held-out tumours were flipped"
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
    assert min(found) >= 4, (
        f"the five folds found {[int(f) for f in found]} of the 5 genes that carry the signal; "
        "each finds at least 4"
    )


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
    assert_close(
        model.predict(np.array([[1.0, 1.0], [8.0, 5.0]])), [0, 1],
        what="NearestCentroid predictions for (1, 1) and (8, 5)",
        meaning="the class centroids are (0, 1) and (10, 1)",
    )  # fmt: skip


@pytest.mark.edge
def test_k_equal_to_all_genes(pipeline, noise):
    X, y = noise
    result = pipeline.cross_validate(X[:, :20], y, 20, N_FOLDS, seed=0)
    assert_finite(result["fold_accuracies"], what="cross_validate(..., k = all 20 genes)")
    assert len(result["predictions"]) == 60, (
        f"cross_validate gave {len(result['predictions'])} out-of-fold predictions for 60 tumours"
    )


def test_folds_are_shuffled_seeded_and_reproducible(pipeline):
    for fold in (0, N_FOLDS - 1):
        assert_seeded_split(
            lambda seed, f=fold: pipeline.kfold_indices(60, N_FOLDS, seed)[f], 60, 12
        )
    default = pipeline.kfold_indices(60)
    explicit = pipeline.kfold_indices(60, 5, 0)
    same = all(
        np.array_equal(a, c) and np.array_equal(b, d)
        for (a, b), (c, d) in zip(default, explicit, strict=True)
    )
    assert same, "kfold_indices(60) differs from kfold_indices(60, 5, 0), its documented defaults"


def pearson_top_k(X, y, k):
    corr = np.array([np.corrcoef(X[:, j], y)[0, 1] for j in range(X.shape[1])])
    return set(np.argsort(-np.abs(corr))[:k].tolist())


@pytest.mark.parametrize("seed", [3, 4])
def test_select_top_k_ranks_by_correlation_whatever_the_scale(pipeline, seed):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(30) % 2)
    X = rng.normal(size=(30, 12)) + 0.6 * y[:, None] * rng.normal(size=12)
    # Genes measured on very different scales and offsets, as raw intensities are.
    X = X * np.logspace(-3, 3, 12) + np.linspace(-500.0, 500.0, 12)
    chosen = set(np.asarray(pipeline.select_top_k(X, y, 4)).tolist())
    expected = pearson_top_k(X, y, 4)
    assert chosen == expected, (
        f"select_top_k picked genes {sorted(chosen)}; the 4 genes with the largest absolute "
        f"Pearson correlation with the response are {sorted(expected)}"
    )


def test_reported_figures_are_the_folds_own(pipeline, noise):
    X, y = noise
    result = pipeline.cross_validate(X, y, K, N_FOLDS, seed=0)
    folds = pipeline.kfold_indices(len(y), N_FOLDS, seed=0)
    assert len(result["selected"]) == N_FOLDS, (
        f"cross_validate reports the genes of {len(result['selected'])} folds; there are {N_FOLDS}"
    )
    fold_accuracies = []
    for f, (train_idx, test_idx) in enumerate(folds):
        genes = np.asarray(result["selected"][f])
        assert len(set(genes.tolist())) == K, (
            f"fold {f} used {len(set(genes.tolist()))} genes, not {K}"
        )
        model = pipeline.NearestCentroid().fit(X[train_idx][:, genes], y[train_idx])
        pred = model.predict(X[test_idx][:, genes])
        got = np.asarray(result["predictions"])[test_idx]
        assert np.array_equal(got, pred), (
            f"fold {f}'s out-of-fold predictions differ on {int(np.sum(got != pred))} of "
            f"{len(pred)} tumours from a nearest-centroid model of its training rows and genes"
        )
        fold_accuracies.append(accuracy(y[test_idx], pred))
    assert_close(
        result["fold_accuracies"],
        fold_accuracies,
        "cross_validate(...)['fold_accuracies']",
        "the accuracy of each fold's predictions on its held-out tumours",
        rtol=1e-12,
    )
    assert_figures(result, {"cv_accuracy": float(np.mean(fold_accuracies))}, "cross_validate(...)")


def test_defaults_are_10_genes_5_folds_seed_0(pipeline, noise):
    X, y = noise
    default = pipeline.cross_validate(X, y)
    explicit = pipeline.cross_validate(X, y, 10, 5, 0)
    assert np.array_equal(default["predictions"], explicit["predictions"]) and all(
        np.array_equal(a, b) for a, b in zip(default["selected"], explicit["selected"], strict=True)
    ), "cross_validate(X, y) differs from cross_validate(X, y, 10, 5, 0), its documented defaults"


def test_cross_validation_depends_on_its_seed_and_only_on_it(pipeline, noise):
    X, y = noise
    assert_reproducible(
        lambda seed: pipeline.cross_validate(X, y, K, N_FOLDS, seed)["fold_accuracies"],
        what="cross_validate(X, y, 10, 5, seed)['fold_accuracies']",
    )


def test_cross_validation_leaves_its_inputs_untouched(pipeline, noise):
    X, y = noise
    assert_inputs_untouched(
        lambda a, b: pipeline.cross_validate(a, b, K, N_FOLDS, 0), X.copy(), y.copy(),
        what="cross_validate",
    )  # fmt: skip


def test_an_offset_on_every_gene_changes_nothing(pipeline):
    # Raw intensities sit on a large baseline; correlations and distances ignore it.
    X, y = pipeline.make_expression(n_samples=60, n_genes=200, n_informative=5, effect=1.0, seed=2)
    before = pipeline.cross_validate(X, y, K, N_FOLDS, seed=0)
    after = pipeline.cross_validate(X + 1e6, y, K, N_FOLDS, seed=0)
    changed = int(np.sum(before["predictions"] != after["predictions"]))
    assert changed == 0, (
        f"adding 1e6 to every expression level changed {changed} of the 60 out-of-fold "
        "predictions, although no correlation and no distance between tumours changed"
    )
