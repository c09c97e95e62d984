"""chainrule.torch.profiler (torch.profiler / torch.autograd.profiler): what it records."""

from __future__ import annotations

import json

import chainrule.graph as graph
import chainrule.torch as torch
import chainrule.torch.nn as nn


def test_profile_counts_operations_spans_and_backward(tmp_path):
    layer = nn.Linear(4, 3)
    x = torch.randn(5, 4)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        with torch.profiler.record_function("step"):
            for _ in range(2):
                layer(x).relu().sum().backward()
    rows = {row.key: row for row in prof.key_averages()}
    assert rows["linear"].count == 2 and rows["relu"].count == 2
    assert rows["backward"].count == 2 and rows["step"].count == 1
    # the span's total holds everything inside it; its self time excludes it
    inside = sum(r.cpu_time_total for k, r in rows.items() if k != "step")
    assert rows["step"].cpu_time_total >= inside
    assert abs(rows["step"].self_cpu_time_total
               - (rows["step"].cpu_time_total - inside)) < 1e-6
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=3)
    assert table.splitlines()[3].startswith("step") and "# of Calls" in table
    prof.export_chrome_trace(tmp_path / "trace.json")
    events = json.loads((tmp_path / "trace.json").read_text())["traceEvents"]
    assert {e["name"] for e in events} >= {"linear", "relu", "backward", "step"}
    assert not graph._hooked  # the fast paths are back after the block


def test_the_older_name_and_a_disabled_profile():
    with torch.autograd.profiler.profile(use_cuda=False) as prof:
        torch.ones(3) * 2
    assert [row.key for row in prof.key_averages()] == ["multiply"]
    with torch.profiler.profile(enabled=False) as off:
        torch.ones(3) * 2
    assert list(off.key_averages()) == []
