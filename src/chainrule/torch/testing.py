"""``torch.testing.assert_close``: PyTorch's comparison and default tolerances (by dtype:
float16 rtol 1e-3 / atol 1e-5, float32 1.3e-6 / 1e-5, float64 1e-7 / 1e-7; integers and
booleans exactly), over tensors, arrays, numbers and nested sequences or mappings."""

from __future__ import annotations

import numpy as np

__all__ = ["assert_close"]

_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
               np.dtype(np.float64): (1e-7, 1e-7)}


def _array(x):
    data = getattr(x, "_data", x)
    return np.asarray(data if not isinstance(data, memoryview) else x)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless actual and expected are close (see the module doc)."""
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: give both rtol and atol, or neither")
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or actual.keys() != expected.keys():
            raise AssertionError(msg or "The mappings have different keys")
        for k in expected:
            assert_close(actual[k], expected[k], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg)
        return
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            raise AssertionError(msg or "The sequences have different lengths")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg)
        return
    a, e = _array(actual), _array(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: "
                                    f"{a.shape} != {e.shape}.")
    if check_dtype and a.dtype != e.dtype and not (
            isinstance(actual, (int, float)) or isinstance(expected, (int, float))):
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: "
                                    f"torch.{a.dtype} != torch.{e.dtype}.")
    if rtol is None:
        rtol, atol = _TOLERANCES.get(np.result_type(a, e), (0.0, 0.0))
    close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan) if (
        a.dtype.kind in "fc" or e.dtype.kind in "fc") else a == e
    if not np.all(close):
        bad = int(np.size(close) - np.count_nonzero(close))
        diff = np.abs(a.astype(np.float64) - e.astype(np.float64))
        raise AssertionError(msg or (
            f"Tensor-likes are not close!\n\nMismatched elements: {bad} / {np.size(close)} "
            f"({100.0 * bad / max(np.size(close), 1):.1f}%)\nGreatest absolute difference: "
            f"{np.nanmax(diff) if diff.size else 0} (up to {atol} allowed)\n"
            f"Greatest relative difference: "
            f"{np.nanmax(diff / np.maximum(np.abs(e), 1e-300)) if diff.size else 0} "
            f"(up to {rtol} allowed)"))
