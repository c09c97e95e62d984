"""Op database entries: NumPy's nan-reductions, cov and corrcoef (and PyTorch's names)."""

from __future__ import annotations

import numpy as np

import chainrule as cr
import chainrule.numpy as cnp

from ..core import OpInfo, fixed


def _nans(shape, where=((0, 1), (2, 0), (2, 3))):
    def draw(rng):
        x = rng.standard_normal(shape)
        for idx in where:
            if len(idx) == len(shape):
                x[idx] = np.nan
        return x

    return draw


def _spread(shape):
    # Distinct values (max and min are kinked at ties; std at a constant slice).
    def draw(rng):
        n = int(np.prod(shape))
        return rng.permutation(n).reshape(shape) * 0.5 + rng.uniform(-0.1, 0.1, shape)

    return draw


def _reduction_samples(extra=(), spread=False):
    def make(rng):
        specs = []
        for shape, axis, keepdims in [((3, 4), None, False), ((3, 4), 1, True),
                                      ((3, 4), 0, False), ((3, 4), (0, 1), False),
                                      ((5,), 0, False)]:
            draw = _spread(shape) if spread else (lambda r, s=shape: r.standard_normal(s))

            def spec(r, d=draw, s=shape, a=axis, k=keepdims):
                x = d(r)
                if len(s) == 2:
                    x[0, 1] = x[2, 3] = np.nan
                return (x,), {"axis": a, "keepdims": k, **dict(extra)}

            specs.append(spec)
        return fixed(*specs)(rng)

    return make


def _nan_entry(name, spread=False, extra=(), **kw):
    return OpInfo(f"cnp.{name}", getattr(cnp, name), _reduction_samples(extra, spread),
                  getattr(np, name), plain="numpy", **kw)


def _cumulative_samples(rng):
    return fixed(lambda r: ((_nans((3, 4))(r),), {}), lambda r: ((_nans((3, 4))(r), 1), {}),
                 lambda r: ((_nans((3, 4))(r), 0), {}))(rng)


def _quantile_samples(rng):
    return fixed(
        lambda r: ((_nans((3, 5))(r), 0.3), {}),
        lambda r: ((_nans((3, 5))(r), np.array([0.25, 0.8]), 1), {}),
        lambda r: ((_nans((3, 5))(r), 0.5, 0), {"method": "weibull", "keepdims": True}),
    )(rng)


def _percentile_samples(rng):
    return fixed(lambda r: ((_nans((3, 5))(r), 40.0, 1), {}),
                 lambda r: ((_nans((3, 5))(r), np.array([10.0, 90.0])), {}))(rng)


def _median_samples(rng):
    return fixed(lambda r: ((_nans((3, 5))(r),), {}), lambda r: ((_nans((3, 5))(r), 1), {}),
                 lambda r: ((_nans((3, 4))(r), 0), {"keepdims": True}))(rng)


def _arg_samples(rng):
    return fixed(lambda r: ((_nans((3, 4))(r),), {}), lambda r: ((_nans((3, 4))(r), 1), {}))(rng)


def _cov_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((3, 6)),), {}),
        lambda r: ((r.standard_normal((6, 2)),), {"rowvar": False, "bias": True}),
        lambda r: ((r.standard_normal(5),), {}),  # one variable: a 0-d result
        lambda r: ((r.standard_normal((2, 5)), r.standard_normal(5)), {"ddof": 0}, (0, 1)),
        lambda r: ((r.standard_normal((2, 5)),), {"fweights": np.array([1, 2, 0, 3, 1])}),
        lambda r: ((r.standard_normal((2, 5)), None, True, False, None, None,
                    r.uniform(0.5, 2.0, 5)), {}, (0, 6)),
        lambda r: ((r.standard_normal((2, 5)), None, True, False, 2,
                    np.array([2, 1, 1, 3, 1]), r.uniform(0.5, 2.0, 5)), {}, (0, 6)),
    )(rng)


def _corrcoef_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((3, 6)),), {}),
        lambda r: ((r.standard_normal((6, 2)),), {"rowvar": False}),
        lambda r: ((r.standard_normal(4), r.standard_normal(4)), {}, (0, 1)),
    )(rng)


def _torch_cov_samples(rng):
    return fixed(
        lambda r: ((r.standard_normal((3, 6)),), {}),
        lambda r: ((r.standard_normal((2, 5)),), {"correction": 0}),
        lambda r: ((r.standard_normal((2, 5)),),
                   {"fweights": np.array([1, 2, 1, 3, 1]), "aweights": np.full(5, 0.5)}),
        lambda r: ((r.standard_normal(5),), {}),
    )(rng)


def _torch_cov_ref(x, *, correction=1, fweights=None, aweights=None):
    return np.cov(x, ddof=correction, fweights=fweights, aweights=aweights)


def _torch_reduction_samples(rng):
    return fixed(lambda r: ((_nans((3, 4))(r),), {}), lambda r: ((_nans((3, 4))(r), 1), {}),
                 lambda r: ((_nans((3, 4))(r), (0, 1), True), {}))(rng)


OPS = [
    _nan_entry("nansum"),
    _nan_entry("nanprod"),
    _nan_entry("nanmean"),
    _nan_entry("nanvar", spread=True),
    _nan_entry("nanvar", spread=True, extra=(("ddof", 1),)),
    _nan_entry("nanstd", spread=True),
    _nan_entry("nanmax", spread=True),
    _nan_entry("nanmin", spread=True),
    OpInfo("cnp.nanargmax", cnp.nanargmax, _arg_samples, np.nanargmax, plain="numpy",
           differentiable=False, list_inputs=False),
    OpInfo("cnp.nanargmin", cnp.nanargmin, _arg_samples, np.nanargmin, plain="numpy",
           differentiable=False, list_inputs=False),
    OpInfo("cnp.nancumsum", cnp.nancumsum, _cumulative_samples, np.nancumsum, plain="numpy"),
    OpInfo("cnp.nancumprod", cnp.nancumprod, _cumulative_samples, np.nancumprod,
           plain="numpy"),
    OpInfo("cnp.nanmedian", cnp.nanmedian, _median_samples, np.nanmedian, plain="numpy"),
    OpInfo("cnp.nanquantile", cnp.nanquantile, _quantile_samples, np.nanquantile,
           plain="numpy"),
    OpInfo("cnp.nanpercentile", cnp.nanpercentile, _percentile_samples, np.nanpercentile,
           plain="numpy"),
    OpInfo("cr.nansum", cr.nansum, _torch_reduction_samples,
           lambda x, dim=None, keepdim=False: np.nansum(x, axis=dim, keepdims=keepdim)),
    OpInfo("cr.nanmean", cr.nanmean, _torch_reduction_samples,
           lambda x, dim=None, keepdim=False: np.nanmean(x, axis=dim, keepdims=keepdim)),
    OpInfo("cnp.cov", cnp.cov, _cov_samples, np.cov, plain="numpy", list_inputs=False),
    OpInfo("cnp.corrcoef", cnp.corrcoef, _corrcoef_samples, np.corrcoef, plain="numpy",
           list_inputs=False),
    OpInfo("cr.cov", cr.cov, _torch_cov_samples, _torch_cov_ref),
    OpInfo("cr.corrcoef", cr.corrcoef, fixed(lambda r: ((r.standard_normal((3, 5)),), {})),
           np.corrcoef),
]
