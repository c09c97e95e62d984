"""chainrule train keeps the memory a step frees (chainrule.cli.allocator)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")

# A step's pattern: twenty 1 MiB arrays made (and written), then all freed; four rounds,
# the page faults of the last three printed. By default glibc, once the first has been
# freed, serves them from its heap, then gives the 20 MiB free at its top back to the
# system, so every round faults them in again.
_ROUNDS = """
import resource, sys
import numpy as np
from chainrule.cli import allocator
print(allocator.keep_freed_memory() if sys.argv[1] == "keep" else None)
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
np.ones(1 << 20)  # (NumPy's own first-use allocations out of the way)
for k in range(4):
    if k == 1:
        start = faults()
    arrays = [np.ones(1 << 17) for _ in range(20)]
    del arrays
print(faults() - start)
"""


def _run(mode, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    environment.update(env)
    out = subprocess.run([sys.executable, "-c", _ROUNDS, mode], capture_output=True,
                         text=True, env=environment, check=True).stdout.split()
    return out[0], int(out[1])


def test_freed_arrays_are_reused_without_page_faults():
    done, faults = _run("keep")
    assert done == "True"
    assert faults < 300  # the 20 MiB came back from the heap, already mapped
    _, default_faults = _run("default")
    assert default_faults > 3 * 10 * 256  # at least half the 20 MiB faulted in every round


def test_a_threshold_set_in_the_environment_is_left_alone():
    done, _ = _run("keep", MALLOC_MMAP_THRESHOLD_="1048576")
    assert done == "False"
