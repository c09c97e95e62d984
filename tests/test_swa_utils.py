"""optim.swa_utils: averaged weights, SWALR and update_bn (PyTorch's formulas; the same
numbers as PyTorch 2.13's on a BatchNorm model, checked outside the test suite)."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.optim import swa_utils


def _model():
    nn.init.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def test_ema_and_swa_average_the_weights_seen_at_each_update():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.3)
    ema = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9))
    swa = swa_utils.AveragedModel(model)
    by_fn = swa_utils.AveragedModel(model, avg_fn=swa_utils.get_ema_avg_fn(0.9))
    seen = []
    rng = np.random.default_rng(0)
    for _ in range(5):
        opt.zero_grad()
        x = rng.standard_normal((8, 3)).astype(np.float32)
        cr.sum(model(x) ** 2).backward()
        opt.step()
        seen.append(model[0].weight.data.copy())
        for averaged in (ema, swa, by_fn):
            averaged.update_parameters(model)
    expected_ema = seen[0]
    for w in seen[1:]:
        expected_ema = expected_ema + 0.1 * (w - expected_ema)
    np.testing.assert_allclose(ema.module[0].weight.data, expected_ema, rtol=1e-5)
    np.testing.assert_allclose(by_fn.module[0].weight.data, expected_ema, rtol=1e-5)
    np.testing.assert_allclose(swa.module[0].weight.data, np.mean(seen, axis=0), rtol=1e-5)
    assert int(swa.n_averaged.data) == 5
    # buffers follow the model's (use_buffers=False)
    np.testing.assert_array_equal(swa.module[1].running_mean.data, model[1].running_mean.data)
    out = swa(np.ones((2, 3), np.float32))
    assert out.shape == (2, 2)


def test_swalr_anneals_to_swa_lr_with_pytorchs_schedule():
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.5)
    sched = swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=3)
    lrs = []
    for _ in range(4):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, [0.3875, 0.1625, 0.05, 0.05], rtol=1e-12)


def test_update_bn_recomputes_running_statistics_as_plain_averages():
    model = _model()
    batches = [np.random.default_rng(k).standard_normal((8, 3)).astype(np.float32)
               for k in range(4)]
    model.eval()
    swa_utils.update_bn(batches, model)
    assert not model.training and model[1].momentum == 0.1
    hidden = [model[0](b).data for b in batches]
    np.testing.assert_allclose(model[1].running_mean.data,
                               np.mean([h.mean(0) for h in hidden], axis=0), rtol=1e-5)
    np.testing.assert_allclose(model[1].running_var.data,
                               np.mean([h.var(0, ddof=1) for h in hidden], axis=0), rtol=1e-4)


def test_averaging_buffers_too_handles_the_integer_batch_counter():
    # use_buffers=True averages num_batches_tracked (int64) as well: it raised a NumPy
    # casting error; PyTorch averages it in its own call and truncates to int.
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    x = cr.tensor(np.arange(12.0).reshape(4, 3))
    for make, want_count in ((lambda: swa_utils.get_ema_multi_avg_fn(0.9), 1),
                             (lambda: None, 4)):
        avg = swa_utils.AveragedModel(bn, use_buffers=True, multi_avg_fn=make())
        seen = []
        for _ in range(3):
            bn(x)
            seen.append(bn.running_mean.data.copy())
            avg.update_parameters(bn)
        assert avg.module.num_batches_tracked.data.dtype == np.int64
        assert int(avg.module.num_batches_tracked.data) == want_count
        if want_count == 1:  # EMA: (seen0 * 0.9 + seen1 * 0.1) * 0.9 + seen2 * 0.1
            want = (seen[0] * 0.9 + seen[1] * 0.1) * 0.9 + seen[2] * 0.1
        else:  # SWA: the plain average of the three
            want = np.mean(seen, axis=0)
        assert np.allclose(avg.module.running_mean.data, want)
