"""Wide CSV files: ``chainrule.data.load_csv`` on 100,000 columns x 1,000 rows.

Writes the file (one-digit features and labels, so 200 MB of text), then times, in the
same run:

- ``np.loadtxt`` on the file, the C parser alone: the reference;
- ``load_csv``: header checks, the parse, label and finiteness checks;
- ``load_csv`` on the same file with class names as labels (two parses: labels as
  text, features by column);
- the CLI's column-order check (``predict`` matching 100,000 names to a model's).

and prints each time with its ratio to the reference. Every step is linear in the cells,
so the ratios stay flat as the file widens (``--columns``).

    python benchmarks/bench_csv.py [--columns N] [--rows N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from chainrule.cli.inputs import column_order
from chainrule.data import load_csv


def write_csv(path: Path, rows: int, columns: int, names: bool, seed: int = 0) -> list[str]:
    """A CSV of one-digit features, label column last; returns the feature names."""
    rng = np.random.default_rng(seed)
    header = [f"f{i}" for i in range(columns - 1)] + ["label"]
    cells = np.full((rows, 2 * columns), ord(","), dtype=np.uint8)
    cells[:, 0::2] = ord("0") + rng.integers(0, 10, size=(rows, columns), dtype=np.uint8)
    cells[:, -1] = ord("\n")
    with path.open("wb") as f:
        f.write((",".join(header) + "\n").encode())
        if not names:
            f.write(cells.tobytes())
        else:  # the same digits, with the label column spelled as a class name
            for row in cells:
                line = row.tobytes()
                f.write(line[:-2] + b"class" + line[-2:])
    return header[:-1]


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wide.csv"
        named = Path(tmp) / "wide-names.csv"
        features = write_csv(path, args.rows, args.columns, names=False)
        write_csv(named, args.rows, args.columns, names=True)
        mb = path.stat().st_size / 1e6
        print(f"{args.rows:,} rows x {args.columns:,} columns, {mb:.0f} MB")
        reference, _ = timed(
            lambda: np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
        )
        load, (X, y) = timed(lambda: load_csv(path))
        assert X.shape == (args.rows, args.columns - 1) and y.shape == (args.rows,)
        load_names, (_, _, classes) = timed(lambda: load_csv(named, return_classes=True))
        assert classes == [f"class{d}" for d in range(10)]
        shuffled = features[::-1]
        order, indices = timed(lambda: column_order(shuffled, features, "wide.csv"))
        assert indices[0] == len(features) - 1
    rows = [
        ("np.loadtxt (reference)", reference),
        ("load_csv", load),
        ("load_csv, class-name labels", load_names),
        ("column-order check", order),
    ]
    for name, seconds in rows:
        print(f"{name:<30} {seconds:8.2f} s   {seconds / reference:6.2f}x")


if __name__ == "__main__":
    main()
