"""Every Python block of the docs and the README runs as written (blocks of one page
share their names, in order, as a reader typing them in would)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chainrule import rules

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_python_blocks_run(page, tmp_path, monkeypatch):
    blocks = BLOCK.findall(page.read_text(encoding="utf-8"))
    if not blocks:
        pytest.skip(f"{page.name} has no Python block")
    monkeypatch.chdir(tmp_path)  # (blocks that write files write them here)
    before = set(rules.REGISTRY)
    names: dict = {}
    try:
        for i, block in enumerate(blocks):
            exec(compile(block, f"{page.name}, Python block {i + 1}", "exec"), names)  # noqa: S102
    finally:
        for name in set(rules.REGISTRY) - before:  # primitives a page declares
            del rules.REGISTRY[name]
