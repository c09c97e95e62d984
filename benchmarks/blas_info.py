"""Which BLAS kernels NumPy runs: they decide most of a training step's time.

OpenBLAS picks its kernels for the CPU it detects when NumPy loads it, unless the
environment variable ``OPENBLAS_CORETYPE`` names them. This project's machine (AMD EPYC
with AVX-512) sets ``OPENBLAS_CORETYPE=Haswell`` in its environment, so NumPy runs the
AVX2 kernels; without the variable OpenBLAS 0.3.31 picks its AVX-512 (SkylakeX) kernels,
and float32 products of the sizes in bench_lstm / bench_gpt take about half the time
(2048 x 256 x 1024: 5.0 ms against 9.3 ms, measured in one run). PyTorch's oneDNN does not
read the variable. The benchmarks print which kernels ran.
"""

from __future__ import annotations

import os


def describe():
    """'OpenBLAS 0.3.31 (Haswell kernels)', or what threadpoolctl can tell."""
    try:
        import threadpoolctl
    except ImportError:
        return "BLAS kernels unknown (threadpoolctl not installed)"
    infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    if not infos:
        return "no BLAS found by threadpoolctl"
    i = infos[0]
    forced = os.environ.get("OPENBLAS_CORETYPE")
    note = f", OPENBLAS_CORETYPE={forced}" if forced else ""
    return f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')} kernels{note})"
