"""``torch.profiler`` / ``torch.autograd.profiler``: time spent per operation.

``with torch.profiler.profile() as prof:`` records, for every chainrule operation run in
the block, its name and the time its forward took (measured around the NumPy call), one
event per backward pass ("backward"), and the spans of ``record_function("label")``
blocks; ``prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)`` prints
them grouped by name, ``export_chrome_trace(path)`` writes Chrome's trace format. The
backward pass is one event (its operations are not split out), and there is only the
CPU: CUDA activities, memory and FLOP counts are not measured. While profiling, every
operation takes the engine's general recording path (slower than the fast paths).
"""

from __future__ import annotations

import json
from time import perf_counter

from .. import graph

__all__ = ["ProfilerActivity", "profile", "record_function"]


class ProfilerActivity:
    CPU = "CPU"
    CUDA = "CUDA"
    XPU = "XPU"
    MTIA = "MTIA"


_active: list = []  # the profiles recording, innermost last


class _Event:
    def __init__(self, name, start, duration):
        self.name, self.start, self.duration = name, start, duration
        self.children = 0.0  # time of operations inside (record_function spans)

    @property
    def self_time(self):
        return self.duration - self.children


class FunctionEventAvg:
    """The events of one name: count, total and self time (in microseconds, as PyTorch)."""

    def __init__(self, key):
        self.key, self.count = key, 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0

    def add(self, event):
        self.count += 1
        self.cpu_time_total += event.duration * 1e6
        self.self_cpu_time_total += event.self_time * 1e6

    @property
    def cpu_time(self):
        return self.cpu_time_total / self.count

    @property
    def self_cpu_time(self):
        return self.self_cpu_time_total / self.count


def _us(value):
    return f"{value / 1e3:.3f}ms" if value >= 1e3 else f"{value:.3f}us"


class EventList(list):
    """key_averages(): one FunctionEventAvg per name, in order of first appearance."""

    def table(self, sort_by=None, row_limit=100, max_name_column_width=55, **kwargs):
        rows = list(self)
        if sort_by is not None:
            key = {"cpu_time_total": "cpu_time_total", "self_cpu_time_total":
                   "self_cpu_time_total", "cpu_time": "cpu_time", "self_cpu_time":
                   "self_cpu_time", "count": "count", "calls": "count"}.get(
                       sort_by.replace("cuda", "cpu").replace("device", "cpu"))
            if key is None:
                raise ValueError(f"table: sort_by={sort_by!r}; use cpu_time_total, "
                                 f"self_cpu_time_total, cpu_time, self_cpu_time or count")
            rows.sort(key=lambda r: getattr(r, key), reverse=True)
        if row_limit is not None and row_limit > 0:
            rows = rows[:row_limit]
        total_self = sum(r.self_cpu_time_total for r in self) or 1.0
        width = min(max(len("Name"), *(len(r.key) for r in rows)) if rows else 4,
                    max_name_column_width)
        heads = ["Self CPU %", "Self CPU", "CPU total", "CPU time avg", "# of Calls"]
        line = "-" * width + "  " + "  ".join("-" * 12 for _ in heads)
        out = [line, f"{'Name':<{width}}  " + "  ".join(f"{h:>12}" for h in heads), line]
        for r in rows:
            cells = [f"{100 * r.self_cpu_time_total / total_self:.2f}%",
                     _us(r.self_cpu_time_total), _us(r.cpu_time_total), _us(r.cpu_time),
                     str(r.count)]
            out.append(f"{r.key[:width]:<{width}}  " + "  ".join(f"{c:>12}" for c in cells))
        out.append(line)
        out.append(f"Self CPU time total: {_us(sum(r.self_cpu_time_total for r in self))}")
        return "\n".join(out) + "\n"

    def __str__(self):
        return self.table()


class profile:
    """Record the operations run inside the block (see the module doc). The arguments
    of PyTorch's profilers are accepted; ``enabled=False`` records nothing."""

    def __init__(self, activities=None, *, enabled=True, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False,
                 with_flops=False, with_modules=False, use_cuda=False, use_device=None,
                 **kwargs):
        self.enabled = enabled
        self.on_trace_ready = on_trace_ready
        self._events: list[_Event] = []
        self._open: list[_Event] = []  # record_function spans in progress
        self._previous = None
        self._origin = perf_counter()

    def _record(self, name, seconds):
        now = perf_counter()
        self._events.append(_Event(name, now - seconds - self._origin, seconds))
        for span in self._open:
            span.children += seconds

    def __enter__(self):
        if self.enabled:
            self._previous = graph.set_profile_hook(self._chain)
            _active.append(self)
        return self

    def _chain(self, name, seconds):
        self._record(name, seconds)
        if self._previous is not None:
            self._previous(name, seconds)

    def __exit__(self, *exc):
        if self.enabled:
            graph.set_profile_hook(self._previous)
            _active.remove(self)
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
        return False

    def start(self):
        return self.__enter__()

    def stop(self):
        self.__exit__(None, None, None)

    def step(self):
        """A training step ended (schedules are not applied: every step is recorded)."""

    def events(self):
        return list(self._events)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        groups: dict[str, FunctionEventAvg] = {}
        for event in self._events:
            groups.setdefault(event.name, FunctionEventAvg(event.name)).add(event)
        return EventList(groups.values())

    @property
    def self_cpu_time_total(self):
        return sum(e.self_time for e in self._events) * 1e6

    def export_chrome_trace(self, path):
        """Write the events in Chrome's trace format (chrome://tracing, Perfetto)."""
        trace = {"traceEvents": [
            {"name": e.name, "ph": "X", "ts": e.start * 1e6, "dur": e.duration * 1e6,
             "pid": 0, "tid": 0, "cat": "cpu_op"} for e in self._events]}
        with open(path, "w") as f:
            json.dump(trace, f)


class record_function:
    """Label a block: its span becomes an event of that name in every active profile."""

    def __init__(self, name, args=None):
        self.name = name
        self._spans = []

    def __enter__(self):
        start = perf_counter()
        for prof in _active:
            span = _Event(self.name, start - prof._origin, 0.0)
            prof._open.append(span)
            self._spans.append((prof, span, start))
        return self

    def __exit__(self, *exc):
        end = perf_counter()
        for prof, span, start in self._spans:
            span.duration = end - start
            prof._open.remove(span)
            prof._events.append(span)
        self._spans = []
        return False
