"""Exact round trips of nested training state through a checkpoint's arrays and JSON metadata.

Optimizer and scheduler states mix arrays (moment estimates) with plain values (step
counts, learning rates) in dicts with int keys, lists and tuples. :func:`encode` moves
every array - and every NumPy scalar, so its dtype survives - into a flat name -> array
dict for the safetensors payload, and leaves a JSON skeleton that records the container
types and key types; :func:`decode` rebuilds the identical structure.
"""

from __future__ import annotations

import numpy as np

from ..graph import TensorBase


def encode(value, arrays: dict, name: str):
    """Return the JSON skeleton of ``value``, adding its arrays to ``arrays`` under ``name``."""
    if isinstance(value, TensorBase):
        value = value._data
    if isinstance(value, (np.ndarray, np.generic)):
        arrays[name] = np.array(value)
        return {"array": name, "scalar": isinstance(value, np.generic)}
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"cannot store a state key of type {type(key).__name__}: {key!r}")
            items.append([key, encode(item, arrays, f"{name}/{key}")])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        encoded = [encode(item, arrays, f"{name}/{i}") for i, item in enumerate(value)]
        return {"tuple": encoded} if isinstance(value, tuple) else {"list": encoded}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    raise TypeError(f"cannot store {type(value).__name__} {value!r} in a checkpoint")


def decode(skeleton, arrays: dict):
    """Rebuild the value :func:`encode` described, taking its arrays from ``arrays``.

    The skeleton comes from a file, so its shape is checked as it is walked: anything
    :func:`encode` could not have written raises ValueError.
    """
    if not isinstance(skeleton, dict):
        raise ValueError(f"malformed state: {type(skeleton).__name__} where a table belongs")
    if "array" in skeleton:
        name = skeleton["array"]
        if not isinstance(name, str) or name not in arrays:
            raise ValueError(f"state refers to a missing array {name!r}")
        array = arrays[name]
        return array[()] if skeleton.get("scalar") is True else array
    if "dict" in skeleton:
        items = skeleton["dict"]
        if not isinstance(items, list) or not all(
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], (str, int))
            and not isinstance(item[0], bool)
            for item in items
        ):
            raise ValueError("malformed state: a dict must be a list of [key, value] pairs")
        return {key: decode(item, arrays) for key, item in items}
    for kind, build in (("list", list), ("tuple", tuple)):
        if kind in skeleton:
            if not isinstance(skeleton[kind], list):
                raise ValueError(f"malformed state: a {kind} must be a JSON list")
            return build(decode(item, arrays) for item in skeleton[kind])
    value = skeleton.get("value")
    if "value" not in skeleton or not (value is None or isinstance(value, (bool, int, float, str))):
        raise ValueError(f"malformed state entry {skeleton!r}"[:200])
    return value
