"""Support tickets: encode the team labels, fit a nearest-centroid classifier, score new tickets."""

import numpy as np
import pandas as pd

KEYWORDS = ["invoice", "refund", "crash", "error", "feature", "password", "login"]
TARGET = "team"
TEAMS = {
    "billing": [3.0, 2.0, 0.2, 0.5, 0.2, 0.1, 0.2],
    "bugs": [0.2, 0.1, 3.0, 3.0, 0.5, 0.1, 0.3],
    "product": [0.3, 0.1, 0.3, 0.5, 3.0, 0.1, 0.2],
    "accounts": [0.2, 0.3, 0.1, 0.8, 0.3, 2.5, 2.5],
}


def make_tickets(n_rows=240, seed=0):
    """Synthetic tickets: keyword counts (Poisson around each team's profile) and the team."""
    rng = np.random.default_rng(seed)
    names = sorted(TEAMS)
    team = rng.choice(names, n_rows)
    rates = np.array([TEAMS[t] for t in team])  # (n, d)
    counts = rng.poisson(rates)
    df = pd.DataFrame(counts, columns=KEYWORDS)
    df[TARGET] = team
    return df


class LabelEncoder:
    """Map class labels to integer codes 0..k-1 and back."""

    def fit(self, labels):
        self.classes_ = np.array(sorted(set(labels)))
        return self

    def transform(self, labels):
        """Codes of ``labels``: ndarray of shape (n,); an unknown label raises ValueError."""
        index = {label: code for code, label in enumerate(self.classes_)}
        unseen = sorted(set(labels) - set(index))
        if unseen:
            raise ValueError(f"unseen label(s) {unseen}; the encoder knows {list(self.classes_)}")
        return np.array([index[label] for label in labels], dtype=int)

    def inverse_transform(self, codes):
        return self.classes_[np.asarray(codes)]


def fit_centroids(X, y, n_classes):
    """Mean feature vector of each class: ndarray of shape (n_classes, d)."""
    return np.array([X[y == k].mean(axis=0) for k in range(n_classes)])


def predict_codes(centroids, X):
    """Code of the nearest centroid for each row of X (n, d): ndarray of shape (n,)."""
    distances = ((X[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)  # (n, k)
    return distances.argmin(axis=1)


def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def run_pipeline(train_df, test_df):
    """Fit on ``train_df``, score ``test_df``. Returns the fitted parts and held-out results."""
    encoder = LabelEncoder().fit(train_df[TARGET])
    y_train = encoder.transform(train_df[TARGET])
    y_test = encoder.transform(test_df[TARGET])
    X_train = train_df[KEYWORDS].to_numpy(dtype=float)
    X_test = test_df[KEYWORDS].to_numpy(dtype=float)

    centroids = fit_centroids(X_train, y_train, len(encoder.classes_))
    test_codes = predict_codes(centroids, X_test)
    recall = {
        str(encoder.classes_[k]): accuracy(y_test[y_test == k], test_codes[y_test == k])
        for k in np.unique(y_train)
    }
    return {
        "encoder": encoder,
        "centroids": centroids,
        "predictions": encoder.inverse_transform(test_codes),
        "test_accuracy": accuracy(y_test, test_codes),
        "recall_by_team": recall,
    }
