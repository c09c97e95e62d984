"""PNG plots of a run: loss and accuracy curves and the test confusion matrix.

Figures are drawn with matplotlib's object API on an Agg canvas, so plotting needs no
display and never touches pyplot's global state or the user's chosen backend. Each
function writes PNG bytes to a binary file object: the caller passes one from
:func:`chainrule.io.atomic.atomic_file`, so a plot is replaced whole or not at all.
"""

from __future__ import annotations

from typing import IO

import numpy as np


def _figure(width: float = 6.0, height: float = 4.0):
    """A new figure on an Agg canvas (imported lazily: matplotlib is slow to import)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _curves(history: list[dict], key: str, ylabel: str, title: str, out: IO[bytes]) -> None:
    fig = _figure()
    ax = fig.add_subplot()
    epochs = [row["epoch"] for row in history]
    for split, style in (("train", "-o"), ("val", "-s")):
        ax.plot(epochs, [row[f"{split}_{key}"] for row in history], style, ms=3, label=split)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, format="png")


def loss_label(label_smoothing: float) -> str:
    """What the loss curves show: the training criterion, smoothing included."""
    if label_smoothing:
        return f"cross-entropy loss, label smoothing {label_smoothing:g}"
    return "cross-entropy loss"


def loss_curves(history: list[dict], out: IO[bytes], label_smoothing: float = 0.0) -> None:
    """Training and validation loss per epoch (the training criterion)."""
    _curves(history, "loss", loss_label(label_smoothing), "Loss", out)


def accuracy_curves(history: list[dict], out: IO[bytes]) -> None:
    """Training and validation accuracy per epoch."""
    _curves(history, "acc", "accuracy", "Accuracy", out)


def confusion_matrix(
    matrix: np.ndarray,
    out: IO[bytes],
    title: str = "Confusion matrix",
    class_names: list[str] | None = None,
) -> None:
    """Counts of (true class, predicted class), annotated when the matrix is small."""
    k = matrix.shape[0]
    size = min(4 + 0.4 * k, 12)
    fig = _figure(size, size)
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ticks = np.arange(k)
    if k <= 30:
        ax.set_xticks(ticks)
        ax.set_yticks(ticks)
        if class_names is not None:
            ax.set_xticklabels(class_names, rotation=45, ha="right")
            ax.set_yticklabels(class_names)
    if k <= 20:
        # Dark text on light cells and light text on dark ones, so every count is legible.
        threshold = matrix.max() / 2 if matrix.size else 0
        for i in range(k):
            for j in range(k):
                color = "white" if matrix[i, j] > threshold else "black"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", color=color, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out, format="png")
