"""The recorded graph of a computation, as text and as Graphviz DOT (what autograd's
print_trace and dot_graph examples show).

    print_graph(f, 1.23)          # A = 1.23 / B = add(A, A) = 2.46 / ...
    print(to_dot(f, 1.0))         # python prog.py | dot -Tpdf -o graph.pdf
    graph_of(cr.grad(f), 1.0)     # the graph of the gradient computation itself

The function runs on tensors that require grad; the graph is read from the recorded
output back to the inputs (each recorded tensor names its primitive and arguments).
"""

from __future__ import annotations

import string

import numpy as np

from ..graph import enable_grad, is_tensor
from ..tensor import tensor


class Node:
    """One value of the graph: an input, a constant tensor, or a primitive's output."""

    def __init__(self, name, op, value, args):
        self.name = name  # A, B, ..., Z, A1, B1, ...
        self.op = op  # the primitive's name; None for inputs and constants
        self.value = value
        self.args = args  # the primitive's arguments: Nodes and constants

    @property
    def parents(self):
        return [a for a in self.args if isinstance(a, Node)]

    def line(self):
        if self.op is None:
            return f"{self.name} = {_show(self.value)}"
        shown = ", ".join(a.name if isinstance(a, Node) else _show(a) for a in self.args)
        return f"{self.name} = {self.op}({shown}) = {_show(self.value)}"


class Graph:
    """The nodes from the inputs to the output, each after its arguments."""

    def __init__(self, out, inputs=()):
        if not is_tensor(out):
            raise TypeError(f"graph_of: the function returned {type(out).__name__}, not a tensor")
        self.nodes = []
        self.inputs = []
        self._by_id = {}
        for x in inputs:
            self.inputs.append(self._add(x, None, ()))
        self.output = self._walk(out)

    def _add(self, t, op, args):
        node = Node(_name(len(self.nodes)), op, t._data, args)
        self.nodes.append(node)
        self._by_id[id(t)] = node
        return node

    def _walk(self, out):
        # Iterative post-order: a node is added once all its tensor arguments are.
        stack = [(out, False)]
        while stack:
            t, expanded = stack.pop()
            if id(t) in self._by_id:
                continue
            prim = t._prim if t.requires_grad else None
            if prim is None:
                self._add(t, None, ())
                continue
            if not expanded:
                stack.append((t, True))
                stack.extend((a, False) for a in reversed(t._args) if is_tensor(a))
                continue
            args = [self._by_id[id(a)] if is_tensor(a) else a for a in t._args]
            kw = [f"{k}={v!r}" for k, v in (t._kw or {}).items()]
            self._add(t, prim.name + (f"[{', '.join(kw)}]" if kw else ""), args)
        return self._by_id[id(out)]

    def __str__(self):
        return "\n".join(node.line() for node in self.nodes)

    def to_dot(self):
        """Graphviz DOT: operations as blue boxes, inputs and constants as orange ovals."""
        lines = ["digraph G {"]
        for node in self.nodes:
            if node.op is None:
                label = "input" if node in self.inputs else _show(node.value)
                lines.append(f'  {node.name} [label="{label}", color=orange, style=filled];')
                continue
            lines.append(f'  {node.name} [label="{node.op}", shape=box, color=lightblue, '
                         f'style=filled];')
            for k, a in enumerate(node.args):
                if isinstance(a, Node):
                    lines.append(f"  {a.name} -> {node.name} [color=gray30];")
                else:
                    const = f"{node.name}_arg_{k}"
                    lines.append(f'  {const} [label="{_show(a)}", color=orange, style=filled];')
                    lines.append(f"  {const} -> {node.name} [color=gray30];")
        lines.append('  output [label="output", color=orange, style=filled];')
        lines.append(f"  {self.output.name} -> output [color=gray30];")
        lines.append("}")
        return "\n".join(lines)


def graph_of(f, *args, **kwargs):
    """The Graph of f(*args): floating arguments become tensors that require grad."""
    inputs = [tensor(a, requires_grad=True) if np.asarray(a).dtype.kind == "f" else a
              for a in args]
    with enable_grad():
        out = f(*inputs, **kwargs)
    return Graph(out, [x for x in inputs if is_tensor(x)])


def print_graph(f, *args, **kwargs):
    """Print one line per value of f(*args): 'C = multiply(A, B) = 0.5'."""
    print(graph_of(f, *args, **kwargs))
    print()


def to_dot(f, *args, **kwargs):
    """The graph of f(*args) as Graphviz DOT text."""
    return graph_of(f, *args, **kwargs).to_dot()


def _name(k):
    letter = string.ascii_uppercase[k % 26]
    return letter if k < 26 else f"{letter}{k // 26}"


def _show(v):
    if is_tensor(v):
        v = v._data
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=6, threshold=6, separator=", ").replace("\n", "")
    return repr(v).replace('"', "'")
