"""Run under mpiexec by tests/test_distributed.py: ``chainrule train --distributed`` with a
fault on rank 1 alone, at the fifth batch of the second epoch.

Modes: "interrupt" (rank 1 receives SIGINT, as from Ctrl-C) and "nan" (rank 1's batch
turns to NaN). Usage: mpiexec -n 2 python cli_fault.py MODE TRAIN_ARGS...
"""

import signal
import sys

import numpy as np

from chainrule import distributed as dist
from chainrule.cli import main


class FaultyLoader(dist.DistributedDataLoader):
    """This rank's batches, with MODE's fault injected on rank 1."""

    mode = ""

    def __iter__(self):
        epoch = self.epoch
        for index, (xb, yb) in enumerate(super().__iter__()):
            if dist.rank() == 1 and epoch == 1 and index == 4:
                if self.mode == "interrupt":
                    signal.raise_signal(signal.SIGINT)
                else:
                    xb = np.full_like(xb, np.nan)
            yield xb, yb


if __name__ == "__main__":
    FaultyLoader.mode = sys.argv[1]
    dist.DistributedDataLoader = FaultyLoader  # what the training command builds
    sys.exit(main(["train", "--distributed", *sys.argv[2:]]))
