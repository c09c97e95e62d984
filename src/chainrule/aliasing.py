"""Run a program written for another library on chainrule unchanged: an import hook that
resolves that library's package (and its submodules) to chainrule's modules, and the
``python -m chainrule.<frontend> PROGRAM.py`` runner that installs it.

Used by ``python -m chainrule.torch`` (``torch`` -> ``chainrule.torch``) and ``python -m
chainrule.autograd`` (``autograd`` -> ``chainrule.autograd``, ``autograd.numpy`` ->
``chainrule.numpy``, ...). Only the named packages are redirected; everything else the
program imports is looked up as usual. A module chainrule does not have raises
ModuleNotFoundError naming both names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys


class PackageAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolve ``alias`` and ``alias.*`` to real modules: ``prefixes`` maps an alias
    prefix to a real one, the longest matching prefix wins."""

    def __init__(self, prefixes: dict[str, str], hint: str, owner: str = "chainrule"):
        self.owner = owner
        self.prefixes = dict(sorted(prefixes.items(), key=lambda kv: -len(kv[0])))
        self.root = min(prefixes, key=len)
        self.hint = hint
        self.own_specs: dict = {}

    def real_name(self, name):
        for alias, real in self.prefixes.items():
            if name == alias or name.startswith(alias + "."):
                return real + name[len(alias):]
        return None

    def find_spec(self, name, path=None, target=None):
        real = self.real_name(name)
        if real is None:
            return None
        if real not in sys.modules and importlib.util.find_spec(real) is None:
            raise ModuleNotFoundError(
                f"No module named {name!r}: {self.owner} has no {real!r} ({self.hint})",
                name=name,
            )
        return importlib.util.spec_from_loader(name, self, is_package=True)

    def create_module(self, spec):
        module = importlib.import_module(self.real_name(spec.name))
        self.own_specs[spec.name] = module.__spec__  # (the import system sets the alias's)
        # Submodules registered by name only (torch.backends.cudnn) are aliased too:
        # the import system looks for them in sys.modules under the alias.
        prefix = module.__name__ + "."
        for name, sub in list(sys.modules.items()):
            if name.startswith(prefix):
                sys.modules.setdefault(spec.name + name[len(module.__name__):], sub)
        return module

    def exec_module(self, module):
        # Already executed under its own name; it keeps its own spec.
        module.__spec__ = self.own_specs.pop(module.__spec__.name)

    def install(self):
        """Make ``import <alias>`` (and its submodules) give chainrule's from now on."""
        if not any(isinstance(f, PackageAlias) and f.root == self.root for f in sys.meta_path):
            sys.meta_path.insert(0, self)
        sys.modules.setdefault(self.root, importlib.import_module(self.prefixes[self.root]))

    def run(self, argv, command, doc):
        """``python -m <command> program.py args...``: run it as ``__main__`` with the
        alias installed, its directory first on sys.path, ``sys.argv`` as it would see.
        ``-m module args...`` and ``-c code args...`` work as they do for python itself."""
        if not argv or argv[0] in ("-h", "--help"):
            print(f"usage: python -m {command} (PROGRAM.py | -m MODULE | -c CODE) [ARGS...]"
                  f"\n\n{doc.strip()}")
            return 0 if argv else 2
        if argv[0] in ("-m", "-c") and len(argv) > 1:
            self.install()
            sys.path.insert(0, os.getcwd())
            if argv[0] == "-c":
                sys.argv = ["-c", *argv[2:]]
                exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
            else:
                sys.argv = [argv[1], *argv[2:]]
                runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
            return 0
        program = os.path.abspath(argv[0])
        if not os.path.isfile(program):
            print(f"python -m {command}: no such file: {argv[0]!r}", file=sys.stderr)
            return 2
        self.install()
        sys.argv = list(argv)
        sys.path.insert(0, os.path.dirname(program))
        runpy.run_path(program, run_name="__main__")
        return 0
