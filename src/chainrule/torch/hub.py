"""``torch.hub``: its cache directory, downloads and ``tqdm``, and models from a local
hubconf.py.

``download_url_to_file`` and ``load_state_dict_from_url`` download as PyTorch's do (into
``get_dir()/checkpoints``, checking a SHA-256 prefix when asked) and read the file with
``torch.load``, which reads chainrule's checkpoints and refuses pickles. ``load``,
``list`` and ``help`` take a local directory with a hubconf.py (``source="local"``);
fetching a GitHub repository and running its code is not done here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import urllib.request
from urllib.parse import urlparse

try:
    from tqdm.auto import tqdm
except ImportError:  # (tqdm comes with the train extra; without it, no progress bar)
    class tqdm:  # type: ignore[no-redef]  # noqa: N801 (tqdm's name)
        """Iterates over what it is given; counts updates; shows nothing."""

        def __init__(self, iterable=None, total=None, disable=False, **kwargs):
            self.iterable, self.total, self.n = iterable, total, 0

        def __iter__(self):
            return iter(self.iterable if self.iterable is not None else ())

        def update(self, n=1):
            self.n += n

        def set_description(self, *args, **kwargs):
            pass

        def close(self):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load",
           "load_state_dict_from_url", "set_dir", "tqdm"]

_hub_dir = None
_HASH = re.compile(r"-([a-f0-9]*)\.")


def get_dir():
    """$TORCH_HOME/hub, else $XDG_CACHE_HOME/torch/hub, else ~/.cache/torch/hub (or the
    directory set_dir chose)."""
    if _hub_dir is not None:
        return _hub_dir
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch")
    return os.path.join(os.path.expanduser(home), "hub")


def set_dir(d):
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Download ``url`` to ``dst`` through a temporary file in dst's directory (moved into
    place only once complete and, with ``hash_prefix``, once its SHA-256 starts so)."""
    dst = os.path.expanduser(os.fspath(dst))
    folder = os.path.dirname(os.path.abspath(dst))
    os.makedirs(folder, exist_ok=True)
    digest = hashlib.sha256()
    with urllib.request.urlopen(url) as response:  # noqa: S310 (the caller's URL)
        total = response.headers.get("Content-Length")
        handle, partial = tempfile.mkstemp(dir=folder, suffix=".partial")
        try:
            with os.fdopen(handle, "wb") as out, tqdm(
                    total=int(total) if total else None, disable=not progress,
                    unit="B", unit_scale=True) as bar:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            if hash_prefix is not None and not digest.hexdigest().startswith(hash_prefix):
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got '
                                   f'"{digest.hexdigest()}")')
            shutil.move(partial, dst)
        finally:
            if os.path.exists(partial):
                os.remove(partial)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=False):
    """The state dict at ``url``, downloaded once into ``model_dir`` (default
    get_dir()/checkpoints) and read with torch.load. With ``check_hash`` the file name's
    hash part (``name-<sha256 prefix>.ext``) is checked."""
    from .serialization import load

    model_dir = model_dir or os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    name = file_name or os.path.basename(urlparse(url).path)
    cached = os.path.join(model_dir, name)
    if not os.path.exists(cached):
        sys.stderr.write(f'Downloading: "{url}" to {cached}\n')
        prefix = None
        if check_hash:  # (PyTorch's rule: the hex digits between a '-' and a '.')
            found = _HASH.search(name)
            prefix = found.group(1) if found else None
        download_url_to_file(url, cached, prefix, progress=progress)
    return load(cached, map_location=map_location)


def _hubconf(repo_or_dir, source):
    if source != "local":
        raise NotImplementedError(
            f"torch.hub: source={source!r} fetches and runs a repository's code; chainrule's "
            f"hub loads a local directory (clone it, then source='local')")
    path = os.path.join(os.path.expanduser(os.fspath(repo_or_dir)), "hubconf.py")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"torch.hub: no hubconf.py in {repo_or_dir!r}")
    spec = importlib.util.spec_from_file_location("hubconf", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(path))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(os.path.dirname(path))
    return module


def _entry(module, model):
    fn = getattr(module, model, None)
    if not callable(fn) or model.startswith("_"):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return fn


def list(repo_or_dir, force_reload=False, skip_validation=False, trust_repo=None,  # noqa: A001
         verbose=True, source="github"):
    """The entry points of the hubconf (its public callables)."""
    module = _hubconf(repo_or_dir, source)
    return [n for n in dir(module) if callable(getattr(module, n)) and not n.startswith("_")]


def help(repo_or_dir, model, force_reload=False, skip_validation=False,  # noqa: A001
         trust_repo=None, source="github"):
    """The entry point's docstring."""
    return _entry(_hubconf(repo_or_dir, source), model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo=None, force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    """``model(*args, **kwargs)`` of the directory's hubconf.py (source='local')."""
    return _entry(_hubconf(repo_or_dir, source), model)(*args, **kwargs)
