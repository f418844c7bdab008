"""k-means must run Lloyd's algorithm until it has actually converged (or hit max_iter).

A converged k-means is a fixed point: one more assignment step changes no label, and every centre
is the mean of its members. The reference below is a plain Lloyd loop written in the test,
started from the same centres, which runs until no label changes.
"""

import numpy as np
import pytest
from katakit import assert_close, assert_figures, assert_inputs_untouched, assert_reproducible


@pytest.fixture(scope="module")
def kmeans(kata):
    return kata("kmeans")


@pytest.fixture(scope="module")
def pixels(kmeans):
    return kmeans.make_image(16, 16, seed=0).reshape(-1, 3)  # (256, 3)


def poor_start(pixels, k=4, seed=1):
    """k pixels drawn at random: a start that needs several Lloyd steps."""
    return pixels[np.random.default_rng(seed).choice(len(pixels), size=k, replace=False)]


def reference_lloyd(X, init):
    """Lloyd's algorithm until no label changes: (centres, labels, inertia, update steps)."""
    centres = np.array(init, dtype=float)
    labels = np.argmin(((X[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    steps = 0
    while True:
        for j in range(len(centres)):
            if np.any(labels == j):
                centres[j] = X[labels == j].mean(axis=0)
        steps += 1
        new_labels = np.argmin(((X[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    inertia = float(((X - centres[labels]) ** 2).sum())
    return centres, labels, inertia, steps


def test_result_is_a_fixed_point_of_lloyd(kmeans, pixels):
    seed = 1
    init = poor_start(pixels, seed=seed)
    model = kmeans.KMeans(n_clusters=4).fit(pixels, init=init)
    relabelled = kmeans.assign(pixels, model.cluster_centers_)
    for j in range(4):
        members = pixels[relabelled == j]
        if len(members):
            assert_close(
                model.cluster_centers_[j], members.mean(axis=0),
                f"centre {j} after fit (start seed {seed}, n_iter_={model.n_iter_})",
                f"the centre is not the mean of the {len(members)} pixels nearest to it, so one "
                "more Lloyd step would still move it: fit stopped before it converged",
                rtol=1e-6, atol=1e-6,
            )  # fmt: skip


def test_inertia_matches_a_reference_lloyd_run_from_the_same_start(kmeans, pixels):
    seed = 2
    init = poor_start(pixels, seed=seed)
    _, _, expected, steps = reference_lloyd(pixels, init)
    model = kmeans.KMeans(n_clusters=4).fit(pixels, init=init)
    assert_close(
        model.inertia_, expected, f"inertia_ from start seed {seed} (n_iter_={model.n_iter_})",
        f"Lloyd's algorithm from the same start keeps improving for {steps} update steps and "
        "reaches this lower inertia: fit gave up early",
        rtol=1e-6,
    )  # fmt: skip


def test_reports_several_iterations_when_the_start_is_poor(kmeans, pixels):
    model = kmeans.KMeans(n_clusters=4).fit(pixels, init=poor_start(pixels))
    steps = reference_lloyd(pixels, poor_start(pixels))[3]
    assert model.n_iter_ > 1, (
        f"fit reported n_iter_={model.n_iter_} and converged_={model.converged_}, but from this "
        f"start Lloyd's algorithm keeps moving the centres for {steps} update steps"
    )


@pytest.mark.edge
@pytest.mark.cpu_limit(2)
def test_stops_at_max_iter_and_says_it_did_not_converge(kmeans, pixels):
    model = kmeans.KMeans(n_clusters=4, max_iter=2, tol=0.0).fit(pixels, init=poor_start(pixels))
    assert model.n_iter_ == 2 and not model.converged_, (
        f"KMeans(max_iter=2).fit from a start that needs more steps gave n_iter_={model.n_iter_}, "
        f"converged_={model.converged_}, although two steps do not reach a fixed point from "
        "there"
    )


def test_a_converged_start_is_kept(kmeans, pixels):
    centres, _, inertia, _ = reference_lloyd(pixels, poor_start(pixels))
    model = kmeans.KMeans(n_clusters=4).fit(pixels, init=centres)
    assert model.converged_, "fit from an already converged start reported converged_=False"
    assert_close(
        model.cluster_centers_, centres, "centres fitted from a converged start", rtol=1e-9
    )
    assert_close(model.inertia_, inertia, "inertia_ from a converged start", rtol=1e-9)


def test_fit_leaves_the_callers_start_untouched(kmeans, pixels):
    init = poor_start(pixels)
    before = init.copy()
    kmeans.KMeans(n_clusters=4).fit(pixels, init=init)
    assert_close(init, before, "the init array passed to fit", "fit overwrote the caller's array")


def test_one_colour_is_the_mean_colour(kmeans, pixels):
    model = kmeans.KMeans(n_clusters=1).fit(pixels)
    assert_close(model.cluster_centers_[0], pixels.mean(axis=0), "the single palette colour")


def test_quantised_image_uses_a_converged_palette(kmeans):
    image = kmeans.make_image(16, 16, seed=0)
    report = kmeans.run_pipeline(image, n_colours=4, seed=0)
    pixels, model = image.reshape(-1, 3), report["model"]
    labels = kmeans.assign(pixels, report["palette"])
    means = np.array([pixels[labels == j].mean(axis=0) for j in range(4)])
    assert_close(
        report["palette"], means, "the 4-colour palette of run_pipeline(image)",
        f"after n_iter_={model.n_iter_} step(s) each palette colour should be the mean of the "
        "pixels drawn in it; these colours would still move, so the quantised image "
        f"(mean squared error {report['mean_squared_error']:.6f}) is worse than it needs to be",
        rtol=1e-6, atol=1e-6,
    )  # fmt: skip
    assert_close(report["mean_squared_error"], model.inertia_ / image.size, "mean_squared_error")


def test_reports_convergence_soon_after_the_labels_settle(kmeans, pixels):
    init = poor_start(pixels, seed=3)
    steps = reference_lloyd(pixels, init)[3]
    model = kmeans.KMeans(n_clusters=4, max_iter=100).fit(pixels, init=init)
    assert model.converged_ and model.n_iter_ <= steps + 1, (
        f"fit reported n_iter_={model.n_iter_} and converged_={model.converged_} (max_iter=100), "
        f"while Lloyd's algorithm from this start stops changing any label after {steps} "
        "update steps"
    )


def test_a_loose_tolerance_stops_after_the_first_step(kmeans, pixels):
    model = kmeans.KMeans(n_clusters=4, tol=10.0).fit(pixels, init=poor_start(pixels))
    assert (model.n_iter_, model.converged_) == (1, True), (
        f"with tol=10 (no centre of colours in [0, 1] can move that far) fit reported "
        f"n_iter_={model.n_iter_}, converged_={model.converged_}"
    )


def test_seed_chooses_the_start(kmeans, pixels):
    assert_reproducible(
        lambda seed: (
            kmeans.KMeans(n_clusters=4, max_iter=1, seed=seed).fit(pixels).cluster_centers_
        ),
        "the centres after one step from a seeded random start",
    )


def test_report_is_that_of_the_returned_palette(kmeans):
    image = kmeans.make_image(12, 10, seed=4)
    report = assert_inputs_untouched(kmeans.run_pipeline, image, 3, 0, what="run_pipeline(image)")
    pixels = image.reshape(-1, 3)
    nearest = np.argmin(((pixels[:, None] - report["palette"][None]) ** 2).sum(axis=2), axis=1)
    quantised = report["palette"][nearest].reshape(image.shape)
    assert_close(report["quantised"], quantised, "the quantised image", rtol=1e-12)
    assert_figures(
        report, {"mean_squared_error": float(np.mean((quantised - image) ** 2))},
        "run_pipeline(image)", rtol=1e-9,
    )  # fmt: skip
    assert report["palette"].shape == (3, 3), (
        f"a 3-colour palette has shape {report['palette'].shape}"
    )


def centre_moves(X, init, steps=12):
    """The largest distance any centre moves at each of the first Lloyd update steps."""
    centres = np.array(init, dtype=float)
    moves = []
    for _ in range(steps):
        labels = np.argmin(((X[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
        before = centres.copy()
        for j in range(len(centres)):
            if np.any(labels == j):
                centres[j] = X[labels == j].mean(axis=0)
        moves.append(float(np.max(np.sqrt(((centres - before) ** 2).sum(axis=1)))))
    return moves


@pytest.mark.parametrize("step", [2, 3])
def test_stops_at_the_first_step_no_centre_moves_more_than_tol(kmeans, pixels, step):
    init = poor_start(pixels, seed=1)
    moves = centre_moves(pixels, init)
    tol = moves[step]  # exactly the largest move of that step
    expected = next(t for t, m in enumerate(moves, start=1) if m <= tol)
    model = kmeans.KMeans(n_clusters=4, tol=tol).fit(pixels, init=init)
    assert (model.n_iter_, model.converged_) == (expected, True), (
        f"the largest centre moves of the first steps are {np.round(moves[:6], 6).tolist()}; with "
        f"tol={tol:.6g} fit reported n_iter_={model.n_iter_}, converged_={model.converged_}, "
        f"while step {expected} is the first at which no centre moves more than tol"
    )


def test_not_converging_is_reported_as_false(kmeans, pixels):
    model = kmeans.KMeans(n_clusters=4, max_iter=1, tol=0.0).fit(pixels, init=poor_start(pixels))
    assert model.converged_ is False, f"converged_ is {model.converged_!r} after 1 of many steps"


def test_a_start_given_in_whole_numbers_is_averaged_exactly(kmeans, pixels):
    corners = np.array([[0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0]])
    whole = kmeans.KMeans(n_clusters=4).fit(pixels, init=corners)
    real = kmeans.KMeans(n_clusters=4).fit(pixels, init=corners.astype(float))
    assert_close(
        whole.cluster_centers_, real.cluster_centers_,
        "centres fitted from a start given as integer colours",
        "the colours are rounded to whole numbers on the way", rtol=1e-9,
    )  # fmt: skip


def test_k_distinct_pixels_get_k_centres(kmeans):
    X = np.array(
        [[0.1, 0.2, 0.3], [0.9, 0.1, 0.1], [0.2, 0.8, 0.2], [0.5, 0.5, 0.9], [0.0, 0.0, 0.0]]
    )
    for seed in range(8):
        model = kmeans.KMeans(n_clusters=5, seed=seed).fit(X)
        assert_close(
            model.inertia_, 0.0, f"inertia_ of 5 distinct pixels in 5 colours (seed {seed})",
            "two colours started on the same pixel", atol=1e-12,
        )  # fmt: skip


def test_pipeline_defaults_and_seed(kmeans):
    image = kmeans.make_image(16, 16, seed=0)
    assert kmeans.run_pipeline(image)["palette"].shape == (4, 3), (
        "the default palette has 4 colours"
    )
    assert_reproducible(
        lambda seed: kmeans.run_pipeline(image, 4, seed)["palette"], "the palette in start order",
        seeds=(0, 3),
    )  # fmt: skip
