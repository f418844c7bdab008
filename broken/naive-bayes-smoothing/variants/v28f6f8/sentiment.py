"""Review sentiment: a multinomial naive Bayes over word counts, word tables built with pandas."""

import numpy as np
import pandas as pd

NEUTRAL = ["the", "it", "and", "was", "phone", "case", "battery", "screen", "price", "delivery"]
POSITIVE = ["great", "love", "excellent", "perfect", "happy", "recommend", "flawless", "superb"]
NEGATIVE = ["broken", "poor", "return", "disappointed", "slow", "cheap", "refund", "waste"]
# Words that only ever appear on one side: nobody writes "flawless" in a one-star review.
ONLY_POSITIVE = {"flawless", "superb"}
ONLY_NEGATIVE = {"refund", "waste"}


def make_reviews(n_reviews=300, seed=0):
    """Tokenised reviews (a list of lists of words) and labels (n,): 1 positive, 0 negative.

    Reviews mix neutral words, their own sentiment's words, a few of the other side's (mixed
    feelings) and now and then a product code such as "sku417".
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n_reviews)
    exclusive = ONLY_POSITIVE | ONLY_NEGATIVE
    reviews = []
    for label in labels:
        own, other = (POSITIVE, NEGATIVE) if label == 1 else (NEGATIVE, POSITIVE)
        own_weights = np.array([0.15 if w in exclusive else 1.0 for w in own])
        other = [w for w in other if w not in exclusive]
        n = rng.integers(8, 17)
        words = []
        for pool in rng.choice(3, size=n, p=[0.6, 0.3, 0.1]):
            if pool == 0:
                words.append(str(rng.choice(NEUTRAL)))
            elif pool == 1:
                words.append(str(rng.choice(own, p=own_weights / own_weights.sum())))
            else:
                words.append(str(rng.choice(other)))
        if rng.random() < 0.3:
            words.append(f"sku{rng.integers(100, 400)}")
        reviews.append(words)
    return reviews, labels


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


class NaiveBayesSentiment:
    """P(positive | words) from class frequencies and per-class word frequencies."""

    def fit(self, reviews, labels):
        """reviews: list of n token lists; labels: (n,) of 0 (negative) and 1 (positive)."""
        tokens = pd.DataFrame(
            {
                "word": [w for review in reviews for w in review],
                "label": np.repeat(labels, [len(review) for review in reviews]),
            }
        )
        counts = pd.crosstab(tokens["word"], tokens["label"]).reindex(columns=[0, 1], fill_value=0)
        # A word never seen in one class's reviews would get probability 0 there, and log(0)
        # would veto that class whatever the other words say; one pseudo-count per word prevents it.
        probs = (counts + 1.0) / (counts.sum(axis=0) + len(counts))
        self.vocabulary_ = {word: i for i, word in enumerate(counts.index)}
        self.word_log_probs_ = np.log(probs.to_numpy(dtype=float))  # (n_words, 2)
        self.log_prior_ = np.log(np.bincount(labels, minlength=2) / len(labels))  # (2,)
        return self

    def log_scores(self, reviews):
        """log P(class) + sum of log P(word | class) over known words: (n, 2)."""
        scores = np.tile(self.log_prior_, (len(reviews), 1))
        for i, review in enumerate(reviews):
            rows = [self.vocabulary_[w] for w in review if w in self.vocabulary_]
            scores[i] += self.word_log_probs_[rows].sum(axis=0)
        return scores

    def predict_proba(self, reviews):
        """P(positive) for each review: (n,)."""
        scores = self.log_scores(reviews)
        # P(positive) = 1 / (1 + e^-d) with d the log-odds, written with tanh.
        return 0.5 * (1.0 + np.tanh((scores[:, 1] - scores[:, 0]) / 2.0))

    def predict(self, reviews):
        return (self.predict_proba(reviews) > 0.5).astype(int)


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def run_pipeline(reviews, labels, test_size=0.25, seed=0):
    """Split the reviews, fit on the training ones, score the held-out ones."""
    train_idx, test_idx = train_test_split(len(labels), test_size, seed)
    model = NaiveBayesSentiment().fit([reviews[i] for i in train_idx], labels)
    test_probs = model.predict_proba([reviews[i] for i in test_idx])
    return {
        "model": model,
        "test_probabilities": test_probs,
        "test_accuracy": accuracy(labels[test_idx], (test_probs > 0.5).astype(int)),
    }
