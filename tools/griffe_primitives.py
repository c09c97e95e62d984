"""A griffe extension for the API reference: each primitive's own documentation.

Operations such as ``tanh = elementwise("tanh", np.tanh, ...)`` are Primitive
instances, not functions, so reading the source (how mkdocstrings reads everything
else) finds an attribute with no docstring. Their documentation is built at import
time (rules.Primitive gives each its own ``__doc__`` and ``__signature__``); this
extension imports each such attribute and renders it as what ``help(cr.tanh)`` shows:
the call signature and that docstring, in place of the declaration's source.
Loaded by mkdocs.yml (mkdocstrings' python handler, ``extensions``).
"""

from __future__ import annotations

import inspect
from typing import Any

import griffe

from chainrule.rules import Primitive


class PrimitiveDocstrings(griffe.Extension):
    def on_attribute_instance(
        self, *, node: Any, attr: griffe.Attribute, agent: Any, **kwargs: Any
    ) -> None:
        try:
            value = griffe.dynamic_import(attr.path)
        except ImportError:
            return
        if not isinstance(value, Primitive) or not value.__doc__:
            return
        attr.docstring = griffe.Docstring(inspect.cleandoc(value.__doc__), parent=attr)
        attr.value = None  # the declaration is the implementation, not the interface
        attr.labels.discard("module-attribute")
        attr.labels.add("primitive")
