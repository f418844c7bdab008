"""The pump monitor: a PCA of healthy readings, and an alarm for readings far from its plane.

The PCA finds orthonormal directions of largest variance (signs free; eigh or svd both fine),
the variance of the projections is the explained variance, and the live check and the evening
report agree on every reading.
"""

import numpy as np
import pandas as pd
import pytest
from katakit import (
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_unchanged,
    perturb_rows,
)

SEED = 0
LONG_AXIS = np.array([1.0, 2.0, 2.0]) / 3.0


@pytest.fixture(scope="module")
def pca(kata):
    return kata("pca")


def elongated_cloud(n=400, seed=1, offset=(500.0, -200.0, 1000.0)):
    """Variance 25 along LONG_AXIS, 4 and 1 along two perpendicular directions, far from 0."""
    rng = np.random.default_rng(seed)
    basis = np.array([LONG_AXIS, [2.0, 1.0, -2.0], [2.0, -2.0, 1.0]]) / [[1.0], [3.0], [3.0]]
    return np.asarray(offset) + (rng.normal(size=(n, 3)) * [5.0, 2.0, 1.0]) @ basis


def readings(pca, n=200):
    df, _ = pca.make_readings(n_rows=n, seed=SEED, n_faults=0)
    return df[pca.SENSORS].to_numpy(dtype=float, copy=True)


def test_components_are_orthonormal(pca):
    model = pca.PCA(3).fit(readings(pca))
    gram = model.components_ @ model.components_.T
    assert_close(
        gram, np.eye(3), "components_ @ components_.T", "components must be orthonormal rows"
    )


def test_first_component_is_the_long_axis_of_an_elongated_cloud(pca):
    first = pca.PCA(1).fit(elongated_cloud()).components_[0]
    alignment = abs(float(first @ LONG_AXIS))
    assert alignment > 0.99, (
        f"on a cloud stretched along {np.round(LONG_AXIS, 3)} (variance 25 there, 4 and 1 across) "
        f"the first component is {np.round(first, 3)}, |cos| = {alignment:.3f} with the long axis: "
        "the first component is not the direction of largest variance"
    )


def test_no_direction_has_more_variance_than_the_first_component(pca):
    X = readings(pca)
    first = pca.PCA(1).fit(X).components_[0]
    directions = np.random.default_rng(2).normal(size=(500, X.shape[1]))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    best = float(np.max(np.var(X @ directions.T, axis=0)))
    along_first = float(np.var(X @ first))
    assert along_first >= best, (
        f"the readings vary by {along_first:.4g} along the first component but by {best:.4g} along "
        "a random direction: the first component does not maximise the projected variance"
    )


def test_explained_variance_is_the_variance_of_the_projections(pca):
    X = readings(pca)
    model = pca.PCA(3).fit(X)
    Z = model.transform(X)
    for ddof in (0, 1):  # population or sample variance: either convention is fine
        if np.allclose(np.var(Z, axis=0, ddof=ddof), model.explained_variance_, rtol=1e-6):
            return
    raise AssertionError(
        f"explained_variance_ is {np.round(model.explained_variance_, 4)}, but the projections "
        f"from transform vary by {np.round(np.var(Z, axis=0, ddof=1), 4)}: the components do not "
        "point where the variance is"
    )


def test_two_components_reconstruct_points_on_a_plane_exactly(pca):
    rng = np.random.default_rng(3)
    plane = rng.normal(size=(100, 2)) @ rng.normal(size=(2, 5)) + [60.0, 1013.0, 250.0, 4.0, 12.0]
    model = pca.PCA(2).fit(plane)
    error = float(np.max(pca.reconstruction_error(model, plane)))
    assert error < 1e-8, (
        f"readings that lie exactly on a 2-d plane come back from 2 components with squared "
        f"error up to {error:.4g}: the components do not span the plane the data lies in"
    )


def test_all_components_reconstruct_any_data_exactly(pca):
    X = readings(pca)
    model = pca.PCA(5).fit(X)
    assert_close(
        model.inverse_transform(model.transform(X)),
        X,
        "reconstruction with 5 of 5 components",
        rtol=1e-9,
        atol=1e-8,
    )


def test_axis_aligned_cloud_gives_the_axes(pca):
    X = np.random.default_rng(4).normal(size=(300, 3)) * [1.0, 4.0, 2.0] + 100.0
    components = pca.PCA(3).fit(X).components_
    assert_close(
        np.abs(components),
        [[0, 1, 0], [0, 0, 1], [1, 0, 0]],
        "|components_| of a cloud whose sensors vary independently (sd 1, 4, 2)",
        atol=0.2,
    )


def test_shifting_every_reading_changes_nothing(pca):
    X = elongated_cloud(offset=(0.0, 0.0, 0.0))
    near, far = pca.PCA(2).fit(X), pca.PCA(2).fit(X + np.array([300.0, -800.0, 1500.0]))
    signs = np.sign(np.sum(near.components_ * far.components_, axis=1))[:, None]
    assert_close(
        far.components_ * signs,
        near.components_,
        "components after shifting the data",
        rtol=1e-6,
        atol=1e-6,
    )
    assert_close(
        far.explained_variance_,
        near.explained_variance_,
        "explained variance after shifting the data",
        rtol=1e-6,
    )


def test_transform_shape(pca):
    assert pca.PCA(2).fit(readings(pca)).transform(readings(pca)[:7]).shape == (7, 2)


@pytest.mark.edge
def test_constant_sensor_gets_no_variance(pca):
    X = readings(pca)
    X[:, 3] = 4.0  # the vibration sensor is stuck
    model = pca.PCA(5).fit(X)
    assert_close(model.explained_variance_[-1], 0.0, "variance of the last component", atol=1e-9)
    assert_close(
        abs(model.components_[-1, 3]),
        1.0,
        "|weight| of the stuck sensor in the last component",
        rtol=1e-6,
    )


def test_pipeline_catches_the_faults(pca):
    df, is_fault = pca.make_readings(n_rows=300, seed=SEED, n_faults=10)
    result = pca.run_pipeline(df, is_fault)
    assert result["faults_caught"] >= 8 and result["false_alarms"] <= 5, (
        f"run_pipeline caught {result['faults_caught']} of 10 faulty readings with "
        f"{result['false_alarms']} false alarms among 90 normal ones"
    )


def day(pca):
    df, is_fault = pca.make_readings(n_rows=300, seed=SEED, n_faults=10)
    return df, is_fault, df[pca.SENSORS].to_numpy(dtype=float)


def test_a_readings_coordinates_depend_only_on_that_reading(pca):
    _, _, X = day(pca)
    model = pca.PCA(2).fit(X[:200])
    batch = model.transform(X[200:])
    alone = np.vstack([model.transform(X[i : i + 1]) for i in range(200, 300)])
    assert_close(
        alone, batch, "transform of each of 100 readings on its own",
        "the same readings get other coordinates than when the day is transformed in one call",
        rtol=1e-9, atol=1e-9,
    )  # fmt: skip


def test_coordinates_follow_a_shift_of_the_readings(pca):
    _, _, X = day(pca)
    model = pca.PCA(2).fit(X[:200])
    shift = np.array([0.0, 6.0, 0.0, 0.0, 0.0])  # the pressure reads 6 hPa higher
    moved = model.transform(X[200:] + shift) - model.transform(X[200:])
    assert_close(
        moved, np.tile(shift @ model.components_.T, (100, 1)),
        "the change of the coordinates when every pressure reading rises by 6 hPa",
        "the monitor does not see the readings move", rtol=1e-9, atol=1e-9,
    )  # fmt: skip


def test_live_check_agrees_with_the_evening_report(pca):
    df, is_fault, X = day(pca)
    result = pca.run_pipeline(df, is_fault)
    live = np.array([pca.score_reading(result["pca"], result["threshold"], x) for x in X[200:]])
    batch = pca.reconstruction_error(result["pca"], X[200:]) > result["threshold"]
    assert np.array_equal(live, batch), (
        f"the live check (score_reading) raised {int(live.sum())} alarms on the 100 "
        f"readings where the evening report flags {int(batch.sum())}; "
        f"{int(np.sum(live & ~np.asarray(is_fault)[200:]))} of the live alarms are on healthy "
        "readings"
    )


def test_report_is_that_of_the_returned_monitor(pca):
    df, is_fault, X = day(pca)
    result = assert_inputs_untouched(pca.run_pipeline, df, is_fault, what="run_pipeline")
    model = result["pca"]
    train_error = ((X[:200] - (X[:200] - model.mean_) @ model.components_.T @ model.components_
                    - model.mean_) ** 2).sum(axis=1)  # fmt: skip
    later = X[200:]
    error = ((later - (later - model.mean_) @ model.components_.T @ model.components_
              - model.mean_) ** 2).sum(axis=1)  # fmt: skip
    flagged = error > train_error.max()
    faults = np.asarray(is_fault)[200:]
    assert_figures(
        result,
        {
            "threshold": train_error.max(),
            "explained_variance_ratio": model.explained_variance_ratio_,
            "faults_caught": int(np.sum(flagged & faults)),
            "false_alarms": int(np.sum(flagged & ~faults)),
        },
        "run_pipeline(readings, is_fault)",
    )
    assert_close(model.mean_, X[:200].mean(axis=0), "the monitor's mean reading")


def test_monitor_ignores_the_readings_it_checks(pca):
    df, is_fault, _ = day(pca)
    before = pca.run_pipeline(df, is_fault)
    after = pca.run_pipeline(perturb_rows(df, df.index[200:], factor=3.0, shift=50.0), is_fault)
    assert_unchanged(
        {"mean": before["pca"].mean_, "components": np.abs(before["pca"].components_),
         "threshold": before["threshold"]},
        {"mean": after["pca"].mean_, "components": np.abs(after["pca"].components_),
         "threshold": after["threshold"]},
        "the fitted monitor", "the monitor changed when only the readings it checks changed",
    )  # fmt: skip


def test_explained_variance_ratio_is_the_share_of_the_total_variance(pca):
    _, _, X = day(pca)
    total = np.var(X[:200], axis=0, ddof=1).sum()
    model = pca.PCA(2).fit(X[:200])
    for ddof in (0, 1):
        share = (
            np.var(model.transform(X[:200]), axis=0, ddof=ddof)
            / np.var(X[:200], axis=0, ddof=ddof).sum()
        )
        if np.allclose(model.explained_variance_ratio_, share, rtol=1e-6):
            break
    else:
        raise AssertionError(
            f"explained_variance_ratio_ is {np.round(model.explained_variance_ratio_, 4)}, but the "
            f"projections carry {np.round(np.var(model.transform(X[:200]), axis=0, ddof=1) / total, 4)} "
            "of the readings' total variance"
        )
    assert_close(
        pca.PCA(5).fit(X[:200]).explained_variance_ratio_.sum(), 1.0, "the ratios of all 5"
    )


def test_a_reading_as_far_as_the_worst_training_reading_raises_no_alarm(pca):
    df, is_fault, X = day(pca)
    result = pca.run_pipeline(df, is_fault)
    errors = pca.reconstruction_error(result["pca"], X[:200])
    worst = int(np.argmax(errors))
    assert not pca.score_reading(result["pca"], result["threshold"], X[worst]), (
        f"training reading {worst}, whose error {errors[worst]:.4g} is the threshold itself, "
        "raised an alarm; only an error above the threshold is a fault"
    )
    again = pd.concat([df.iloc[:200], df.iloc[[worst]], df.iloc[200:]])
    flags = np.r_[np.asarray(is_fault)[:200], False, np.asarray(is_fault)[200:]]
    repeated = pca.run_pipeline(again, flags)
    assert repeated["false_alarms"] == result["false_alarms"], (
        f"a later copy of training reading {worst} became a false alarm in the report"
    )


def test_the_number_of_components_is_honoured(pca):
    df, is_fault, X = day(pca)
    assert pca.run_pipeline(df, is_fault)["pca"].components_.shape == (2, 5)
    assert pca.run_pipeline(df, is_fault, n_components=3)["pca"].components_.shape == (3, 5)
    assert pca.fit_monitor(X[:200])[0].components_.shape == (2, 5)


def test_an_error_equal_to_the_threshold_raises_no_alarm(pca):
    _, _, X = day(pca)
    model, _ = pca.fit_monitor(X[:200])
    reading = X[250]
    own = float(pca.reconstruction_error(model, reading[None, :])[0])
    assert not pca.score_reading(model, own, reading), (
        f"a reading whose error {own:.6g} equals the threshold raised an alarm; only an error "
        "above the threshold is a fault"
    )
    assert pca.score_reading(model, own * 0.999, reading), "an error above the threshold was missed"
