"""Ticket routing: a multinomial naive Bayes classifier over word counts of support threads."""

import numpy as np

QUEUES = ["billing", "technical", "shipping"]
N_WORDS = 60  # vocabulary size; word j is column j of the count matrix


def make_tickets(n_docs=240, seed=0, min_words=200, max_words=600):
    """Word-count matrices of support threads: X (n_docs, N_WORDS) of counts and y (n_docs,).

    Every queue uses the same common words; each also favours ten words of its own.
    """
    rng = np.random.default_rng(seed)
    weights = np.ones((len(QUEUES), N_WORDS))
    for queue in range(len(QUEUES)):
        weights[queue, 10 * queue : 10 * queue + 10] += 1.5  # the queue's own vocabulary
    word_probs = weights / weights.sum(axis=1)[:, None]  # (k, N_WORDS)
    y = rng.integers(0, len(QUEUES), n_docs)
    lengths = rng.integers(min_words, max_words + 1, n_docs)
    X = np.stack([rng.multinomial(n, word_probs[c]) for n, c in zip(lengths, y, strict=True)])
    return X.astype(float), y


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


class MultinomialNB:
    """P(queue | words) from queue frequencies and add-alpha word frequencies per queue."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, y):
        """X: (n, n_words) word counts, y: (n,) queue indices."""
        n_classes = int(y.max()) + 1
        self.class_prior_ = np.bincount(y, minlength=n_classes) / len(y)  # (k,)
        counts = np.stack([X[y == c].sum(axis=0) for c in range(n_classes)])  # (k, n_words)
        smoothed = counts + self.alpha
        self.word_probs_ = smoothed / smoothed.sum(axis=1)[:, None]  # (k, n_words)
        return self

    def predict_proba(self, X):
        """P(queue | document) for word counts X (n, n_words): (n, k), rows sum to 1."""
        # A product of hundreds of word probabilities is far below 1e-308 and underflows to 0;
        # summing their logs keeps the same ranking in numbers a float can hold.
        log_joint = np.log(self.class_prior_) + X @ np.log(self.word_probs_).T  # (n, k)
        return np.exp(log_joint - np.logaddexp.reduce(log_joint, axis=1)[:, None])

    def predict(self, X):
        return np.argmax(self.predict_proba(X), axis=1)


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def run_pipeline(X, y, test_size=0.25, seed=0):
    """Split the threads, fit on the training ones, route the held-out ones."""
    train_idx, test_idx = train_test_split(len(y), test_size, seed)
    model = MultinomialNB().fit(X[train_idx], y[train_idx])
    probs = model.predict_proba(X[test_idx])
    return {
        "test_probabilities": probs,
        "test_predictions": np.argmax(probs, axis=1),
        "test_accuracy": accuracy(y[test_idx], np.argmax(probs, axis=1)),
    }
