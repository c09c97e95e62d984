"""``torch.utils.benchmark``: ``Timer`` (``timeit``, ``repeat``, ``blocked_autorange``,
``adaptive_autorange``), the ``Measurement`` it returns and ``Compare``'s table, as
PyTorch's benchmarking scripts use them; the timing is Python's ``timeit``."""

from __future__ import annotations

import statistics
import timeit as _timeit

__all__ = ["Compare", "Measurement", "Timer"]


class Measurement:
    """Times per run of a statement: ``times`` (seconds per run of one block),
    ``mean``, ``median``, ``iqr``, and the Timer's labels."""

    def __init__(self, number_per_run, raw_times, task_spec):
        self.number_per_run = int(number_per_run)
        self.raw_times = list(raw_times)
        self.task_spec = task_spec
        self.times = [t / self.number_per_run for t in self.raw_times]

    @property
    def mean(self):
        return statistics.fmean(self.times)

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def iqr(self):
        if len(self.times) < 2:
            return 0.0
        q = statistics.quantiles(self.times, n=4, method="inclusive")
        return q[2] - q[0]

    def __getattr__(self, name):  # stmt, label, sub_label, description, num_threads, ...
        spec = self.__dict__.get("task_spec")
        if spec is not None and name in spec:
            return spec[name]
        raise AttributeError(name)

    def __repr__(self):
        head = " ".join(p for p in (self.task_spec.get("label"), self.task_spec.get("sub_label"))
                        if p)
        unit, scale = _unit(self.median)
        lines = [f"<torch.utils.benchmark.utils.common.Measurement object at {id(self):#x}>"]
        if head:
            lines.append(head)
        lines.append(self.task_spec.get("stmt", ""))
        if self.task_spec.get("description"):
            lines.append(self.task_spec["description"])
        lines.append(f"  Median: {self.median * scale:.2f} {unit}")
        if len(self.times) > 1:
            lines.append(f"  IQR:    {self.iqr * scale:.2f} {unit} "
                         f"({self.times and min(self.times) * scale:.2f} to "
                         f"{max(self.times) * scale:.2f})")
        lines.append(f"  {len(self.times)} measurement{'s' if len(self.times) != 1 else ''}, "
                     f"{self.number_per_run} runs per measurement, "
                     f"{self.task_spec.get('num_threads', 1)} thread")
        return "\n".join(lines)


def _unit(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e3), ("us", 1e6), ("ns", 1e9)):
        if seconds * scale >= 1.0:
            return unit, scale
    return "ns", 1e9


class Timer:
    """``Timer(stmt, setup, globals=..., label=..., sub_label=..., description=...,
    num_threads=...)``: the statement timed with ``timeit`` in ``globals``."""

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=_timeit.default_timer,
                 globals=None, label=None, sub_label=None, description=None,  # noqa: A002
                 env=None, num_threads=1, language="python"):
        if language not in ("python", "py"):
            raise ValueError("torch.utils.benchmark.Timer: only Python statements are timed here")
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer,
                                    globals=dict(globals or {}))
        self._spec = {"stmt": stmt, "setup": setup, "label": label, "sub_label": sub_label,
                      "description": description, "env": env, "num_threads": num_threads}

    def timeit(self, number=1000000):
        """One measurement of ``number`` runs (after one warm-up run)."""
        self._timer.timeit(1)
        return Measurement(number, [self._timer.timeit(number)], self._spec)

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("Timer.repeat: see Timer.blocked_autorange (PyTorch's "
                                  "Timer has no repeat either)")

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Blocks of runs, each block ~ 0.1 s or more of work chosen by ``autorange``, until
        ``min_run_time`` seconds have been spent."""
        number, _ = self._timer.autorange()
        number = max(1, number // 2)
        times, total = [], 0.0
        while total < min_run_time or not times:
            t = self._timer.timeit(number)
            if callback is not None:
                callback(number, t)
            times.append(t)
            total += t
        return Measurement(number, times, self._spec)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0,
                           callback=None):
        """Blocks until the IQR is within ``threshold`` of the median (or max_run_time)."""
        number, _ = self._timer.autorange()
        number = max(1, number // 10)
        times, total = [], 0.0
        while True:
            t = self._timer.timeit(number)
            if callback is not None:
                callback(number, t)
            times.append(t)
            total += t
            m = Measurement(number, times, self._spec)
            if total >= max_run_time or (total >= min_run_time and len(times) >= 3
                                         and m.iqr <= threshold * m.median):
                return m


class Compare:
    """A table of Measurements: rows by (label, sub_label), columns by description."""

    def __init__(self, results):
        self._results = list(results)

    def __str__(self):
        rows, columns = {}, []
        for m in self._results:
            row = (m.task_spec.get("label") or "", m.task_spec.get("sub_label")
                   or m.task_spec.get("stmt", ""))
            column = m.task_spec.get("description") or ""
            if column not in columns:
                columns.append(column)
            rows.setdefault(row, {})[column] = m.median
        unit, scale = _unit(min((m.median for m in self._results), default=1.0))
        width = max([len(r[1]) for r in rows] + [8])
        lines = [" " * (width + 2) + " | ".join(f"{c:>12}" for c in columns)]
        for (_label, name), cells in rows.items():
            values = " | ".join(f"{cells[c] * scale:12.1f}" if c in cells else " " * 12
                                for c in columns)
            lines.append(f"  {name:<{width}}{values}")
        lines.append(f"\nTimes are in {unit}.")
        return "\n".join(lines)

    def print(self):
        print(str(self))

    def trim_significant_figures(self):
        return self

    def colorize(self, rowwise=False):
        return self

    def highlight_warnings(self):
        return self
