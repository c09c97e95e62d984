"""A trained model's outputs and scores on arrays: logits, log-probabilities, loss, accuracy."""

from __future__ import annotations

import numpy as np

from ..graph import no_grad
from ..tensor import Tensor


def logits_of(model, X: np.ndarray, batch_size: int) -> np.ndarray:
    """Model outputs for ``X`` in evaluation mode, batch by batch, without recording."""
    was_training = model.training
    model.eval()
    outputs = []
    with no_grad():
        for start in range(0, X.shape[0], batch_size):
            outputs.append(model(Tensor(X[start : start + batch_size]))._data)
    model.train(was_training)
    return np.concatenate(outputs) if outputs else np.zeros((0, 0), X.dtype)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-softmax over the last axis, shifted by the maximum so exp never overflows."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def scores(
    model, X: np.ndarray, y: np.ndarray, batch_size: int, label_smoothing: float = 0.0
) -> tuple[float, float, np.ndarray]:
    """Mean cross-entropy, accuracy and predictions of ``model`` on ``(X, y)``.

    Logits have the classes on their last axis and ``y`` the shape of the rest: one
    label per sample, or (text models) one next character per position. With label
    smoothing e the loss is the training criterion
    (1 - e) * (-log p_y) + e * mean_k(-log p_k), so training and validation losses compare.
    Computed batch by batch, in evaluation mode and without recording.
    """
    was_training = model.training
    model.eval()
    total, hits, predictions = 0.0, 0, []
    with no_grad():
        for start in range(0, X.shape[0], batch_size):
            target = y[start : start + batch_size]
            logits = model(Tensor(X[start : start + batch_size]))._data
            log_probs = log_softmax(logits.astype(np.float64))
            nll = -np.take_along_axis(log_probs, target[..., None], axis=-1)[..., 0]
            total += float(((1 - label_smoothing) * nll
                            - label_smoothing * log_probs.mean(axis=-1)).sum())
            guess = log_probs.argmax(axis=-1)
            hits += int((guess == target).sum())
            predictions.append(guess)
    model.train(was_training)
    count = max(y.size, 1)
    guesses = np.concatenate(predictions) if predictions else np.zeros(y.shape, np.int64)
    return total / count, hits / count, guesses
