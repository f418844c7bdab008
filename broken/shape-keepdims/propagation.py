"""Label propagation: a few labelled glyph images lend their labels to many unlabelled ones."""

import numpy as np

# 4 x 4 glyphs, flattened row by row: a horizontal bar, a vertical bar, a diagonal.
PROTOTYPES = np.array(
    [
        [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0],
        [0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0],
        [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
    ],
    dtype=float,
)


def make_glyphs(n_per_class=(60, 30, 30), noise=(0.15, 0.3, 0.3), seed=0):
    """Noisy copies of each prototype: (X of shape (n, 16), y of shape (n,) in 0..2)."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for label, (count, sd) in enumerate(zip(n_per_class, noise, strict=True)):
        images.append(PROTOTYPES[label] + rng.normal(0.0, sd, size=(count, 16)))
        labels.append(np.full(count, label))
    return np.vstack(images), np.concatenate(labels)


def choose_labelled(y, per_class=2, seed=0):
    """Indices of the images whose label is known: ``per_class`` of each class, seeded."""
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in np.unique(y)]
    return np.sort(np.concatenate(chosen))


def rbf_affinity(X, bandwidth=0.5):
    """Gaussian similarity between every pair of images, zero on the diagonal.

    X : ndarray of shape (n, d)
    Returns W : ndarray of shape (n, n), symmetric, W[i, j] in (0, 1].
    """
    sq_dist = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)  # (n, n)
    W = np.exp(-sq_dist / (2.0 * bandwidth**2))
    np.fill_diagonal(W, 0.0)
    return W


def transition_matrix(W):
    """The random walk's step probabilities on the graph with affinities W (n, n): P (n, n)."""
    degree = W.sum(axis=1)
    return W / degree


def label_scores(W, labels, n_classes):
    """Harmonic label propagation on the graph with affinities W.

    W : ndarray of shape (n, n), symmetric non-negative affinities
    labels : ndarray of shape (n,), the class (0..n_classes-1) of each labelled image, -1 if unknown
    Returns F : ndarray of shape (n, n_classes); F[i, c] is the probability that a random walk
    from image i reaches a labelled image of class c first. Labelled rows are one-hot.
    """
    P = transition_matrix(W)  # (n, n)
    known = labels >= 0
    Y_known = np.eye(n_classes)[labels[known]]  # (m, k)
    P_uu = P[np.ix_(~known, ~known)]  # (u, u)
    P_uk = P[np.ix_(~known, known)]  # (u, m)
    F = np.zeros((len(labels), n_classes))
    F[known] = Y_known
    F[~known] = np.linalg.solve(np.eye(len(P_uu)) - P_uu, P_uk @ Y_known)  # (u, k)
    return F


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def run_pipeline(X, y, per_class=2, bandwidth=0.5, seed=0):
    """Hide all but ``per_class`` labels per class, propagate, and score the hidden images."""
    labelled = choose_labelled(y, per_class, seed)
    labels = np.full(len(y), -1)
    labels[labelled] = y[labelled]
    n_classes = int(y.max()) + 1
    scores = label_scores(rbf_affinity(X, bandwidth), labels, n_classes)  # (n, k)
    predictions = scores.argmax(axis=1)
    hidden = labels < 0
    return {
        "labelled": labelled,
        "scores": scores,
        "predictions": predictions,
        "hidden_accuracy": accuracy(y[hidden], predictions[hidden]),
    }
