"""End to end: train a digits classifier, checkpoint it, resume it in a fresh process."""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import chainrule as cr
import chainrule.nn as nn
from chainrule import optim
from chainrule.data import ArrayDataset, DataLoader, Standardize, load_digits, random_split
from chainrule.io import load, load_checkpoint, save, save_checkpoint, unflatten_state
from chainrule.optim.lr_scheduler import CosineAnnealingLR

CONFIG = {"split_seed": 0, "init_seed": 0, "loader_seed": 0, "batch_size": 32, "lr": 3e-3,
          "epochs": 4}


def digits_split(config):
    """Standardized (fitted on the training part) seeded 80/20 split of the digits."""
    X, y = load_digits()
    train_idx, test_idx = random_split(len(X), [0.8, 0.2], seed=config["split_seed"])
    scaler = Standardize().fit(X[train_idx])
    return (scaler.transform(X[train_idx]), y[train_idx],
            scaler.transform(X[test_idx]), y[test_idx])


def build(config):
    """The 64-64-10 tanh MLP, its Adam optimizer, a cosine schedule and the loader."""
    rng = np.random.default_rng(config["init_seed"])
    model = nn.Sequential(nn.Linear(64, 64, rng=rng), nn.Tanh(), nn.Linear(64, 10, rng=rng))
    opt = optim.Adam(model.parameters(), lr=config["lr"])
    schedule = CosineAnnealingLR(opt, T_max=config["epochs"])
    X, y, _, _ = digits_split(config)
    loader = DataLoader(ArrayDataset(X, y), batch_size=config["batch_size"], shuffle=True,
                        seed=config["loader_seed"])
    return model, opt, schedule, loader


def train_epochs(model, opt, schedule, loader, epochs):
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        schedule.step()


def accuracy(model, X, y):
    model.eval()
    with cr.no_grad():
        return float((model(X).data.argmax(axis=1) == y).mean())


def save_run(path, model, opt, schedule, loader, config):
    opt_state = opt.state_dict()
    save_checkpoint(
        path,
        {"model": model.state_dict(), "optim": opt_state["state"]},
        {"config": config, "optim_groups": opt_state["param_groups"],
         "schedule": schedule.state_dict(), "epoch": loader.epoch},
    )


def load_run(path):
    """Rebuild model, optimizer, schedule and loader from a checkpoint alone."""
    arrays, meta = load_checkpoint(path)
    tree = unflatten_state(arrays)
    model, opt, schedule, loader = build(meta["config"])
    model.load_state_dict(tree["model"])
    opt.load_state_dict({"state": tree.get("optim", {}), "param_groups": meta["optim_groups"]})
    schedule.load_state_dict(meta["schedule"])
    loader.set_epoch(meta["epoch"])
    return model, opt, schedule, loader, meta


def resume_main(path_in, path_out, epochs):
    """Entry point of the fresh process: load, train ``epochs`` more, save."""
    model, opt, schedule, loader, meta = load_run(path_in)
    train_epochs(model, opt, schedule, loader, epochs)
    save_run(path_out, model, opt, schedule, loader, meta["config"])


def flat_state(model, opt):
    sd = opt.state_dict()
    out = {f"model/{k}": v for k, v in model.state_dict().items()}
    for i, entry in sd["state"].items():
        out.update({f"optim/{i}/{k}": v for k, v in entry.items()})
    return out, sd["param_groups"]


def assert_bit_equal(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        assert a[k].tobytes() == b[k].tobytes(), k


# ------------------------------------------------------------------------- tests
def test_mlp_reaches_95_percent_on_digits_in_seconds():
    config = dict(CONFIG, epochs=10)
    start = time.perf_counter()
    model, opt, schedule, loader = build(config)
    train_epochs(model, opt, schedule, loader, config["epochs"])
    elapsed = time.perf_counter() - start
    _, _, X_test, y_test = digits_split(config)
    acc = accuracy(model, X_test, y_test)
    assert acc >= 0.95, f"test accuracy {acc:.4f}"
    assert elapsed < 10, f"training took {elapsed:.1f} s"
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_checkpoint_round_trip_is_bit_exact(tmp_path):
    model, opt, schedule, loader = build(CONFIG)
    train_epochs(model, opt, schedule, loader, 1)
    path = tmp_path / "run.safetensors"
    save_run(path, model, opt, schedule, loader, CONFIG)
    model2, opt2, schedule2, loader2, meta = load_run(path)
    a, groups = flat_state(model, opt)
    b, groups2 = flat_state(model2, opt2)
    assert_bit_equal(a, b)
    assert groups == groups2
    assert schedule2.state_dict() == json.loads(json.dumps(schedule.state_dict()))
    assert loader2.epoch == loader.epoch == 1 and meta["config"] == CONFIG
    # The weights alone, as a plain safetensors file named by state-dict keys.
    save(model.state_dict(), tmp_path / "weights.safetensors")
    weights = load(tmp_path / "weights.safetensors")
    assert set(weights) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    fresh = build(dict(CONFIG, init_seed=1))[0]
    fresh.load_state_dict(weights)
    assert_bit_equal(fresh.state_dict(), model.state_dict())


def test_resume_in_fresh_process_matches_uninterrupted_training(tmp_path):
    model, opt, schedule, loader = build(CONFIG)
    train_epochs(model, opt, schedule, loader, 4)
    straight, straight_groups = flat_state(model, opt)

    model, opt, schedule, loader = build(CONFIG)
    train_epochs(model, opt, schedule, loader, 2)
    half, out = tmp_path / "epoch2.safetensors", tmp_path / "epoch4.safetensors"
    save_run(half, model, opt, schedule, loader, CONFIG)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import test_training as t; "
        "t.resume_main(sys.argv[2], sys.argv[3], 2)"
    )
    subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), str(half), str(out)],
                   check=True, timeout=120)
    resumed_model, resumed_opt, _, resumed_loader, _ = load_run(out)
    resumed, resumed_groups = flat_state(resumed_model, resumed_opt)
    assert_bit_equal(straight, resumed)
    assert resumed_groups == json.loads(json.dumps(straight_groups))
    assert resumed_loader.epoch == 4
