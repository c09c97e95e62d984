"""The package as a user installs it: lazy submodules, metadata, README links, floors.

These tests read the project's own files (pyproject.toml, README.md, .ci/oldest.txt,
tools/), which the repository and the sdist both hold.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import importlib.util
import re
import runpy
import subprocess
import sys
import types
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import chainrule as cr

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
LAZY = ("data", "distributed", "io", "scipy", "torch")


def _run(code):
    """Run `code` in a fresh interpreter (a clean sys.modules); return its stdout."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _links_module():
    spec = importlib.util.spec_from_file_location(
        "repository_links", ROOT / "tools" / "repository_links.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


# ------------------------------------------------------------ lazy submodules
def test_import_chainrule_leaves_the_lazy_submodules_unimported():
    out = _run(
        "import sys, chainrule\n"
        f"print(sorted(m for m in {LAZY!r} if 'chainrule.' + m in sys.modules))"
    )
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", LAZY)
def test_a_lazy_submodule_is_an_attribute_of_the_package(name):
    out = _run(
        "import sys, chainrule as cr\n"
        f"m = cr.{name}\n"
        f"print(m is sys.modules['chainrule.{name}'], cr.{name} is m, '{name}' in dir(cr))"
    )
    assert out.split() == ["True", "True", "True"]


def test_the_lazy_attributes_are_the_modules_users_call():
    x = cr.tensor([0.5, -1.0], requires_grad=True)
    assert callable(cr.data.load_digits)
    assert callable(cr.io.save)
    assert cr.distributed.world_size() >= 1
    assert cr.scipy.special is importlib.import_module("chainrule.scipy.special")
    assert isinstance(cr.scipy.special.erf(x), cr.Tensor)


def test_an_unknown_attribute_names_itself():
    with pytest.raises(AttributeError, match="module 'chainrule' has no attribute 'datum'"):
        cr.datum  # noqa: B018


# ------------------------------------------------------------------ metadata
def test_the_installed_metadata_has_urls_classifiers_and_a_readme():
    meta = importlib.metadata.metadata("chainrule")
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    repository = _pyproject()["tool"]["chainrule"]["repository"]
    assert set(urls) == {"Homepage", "Documentation", "Source", "Issues"}
    assert all(u.startswith(repository) for u in urls.values())
    classifiers = meta.get_all("Classifier")
    assert "Typing :: Typed" in classifiers
    assert any(c.startswith("Programming Language :: Python :: 3.10") for c in classifiers)
    assert meta["Keywords"]
    assert meta["Description-Content-Type"] == "text/markdown"


def test_the_package_ships_py_typed():
    assert importlib.resources.files("chainrule").joinpath("py.typed").is_file()


def test_the_oldest_pins_are_the_declared_floors():
    """.ci/oldest.txt pins each dependency at exactly the floor pyproject.toml declares."""
    project = _pyproject()["project"]
    declared = list(project["dependencies"])
    for extra in ("train", "mpi", "test"):
        declared += project["optional-dependencies"][extra]
    floors = {}
    for requirement in map(Requirement, declared):
        for spec in requirement.specifier:
            if spec.operator == ">=":
                floors[requirement.name] = Version(spec.version)
    pins = {}
    for line in (ROOT / ".ci" / "oldest.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name] = Version(version)
    assert pins == floors


# ------------------------------------------------------------- README links
def test_every_relative_link_in_the_readme_exists():
    links = _links_module()
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = links.relative_targets(text)
    assert targets, "the README links to docs/ and examples/"
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing


def test_the_package_index_readme_has_only_absolute_links():
    links = _links_module()
    text = links.readme_for_index(ROOT)
    assert links.relative_targets(text) == []
    repository = links.repository_url(ROOT)
    assert f"]({repository}/blob/main/docs/api.md)" in text
    assert f"]({repository}/raw/main/docs/images/digits-loss.png)" in text


def test_links_keep_anchors_and_resolve_against_the_page():
    links = _links_module()
    md = "[a](../tests/test_seed.py#L3) [b](api.md) [c](https://x.org/y) [d](#here) ![i](img.png)"
    out = links.absolute_links(md, "docs/derivations.md", "https://r", keep_inside="docs")
    assert out == (
        "[a](https://r/blob/main/tests/test_seed.py#L3) [b](api.md) "
        "[c](https://x.org/y) [d](#here) ![i](img.png)"
    )


def test_a_link_out_of_the_repository_is_an_error():
    links = _links_module()
    with pytest.raises(ValueError, match="points outside the repository"):
        links.absolute_links("[x](../../etc/passwd)", "docs/a.md", "https://r")


# -------------------------------------------------------------------- typing
def test_the_typing_check_file_runs():
    """tests/typing/public_api.py is type-checked by mypy in CI; here it must also run."""
    runpy.run_path(str(ROOT / "tests" / "typing" / "public_api.py"), run_name="typing_usage")


# ------------------------------------------------------------- API reference
def test_every_public_name_of_chainrule_is_on_a_reference_page():
    """docs/reference/ renders `::: chainrule.NAME` (or a members list) for each name."""
    text = "\n".join(p.read_text() for p in (ROOT / "docs" / "reference").glob("*.md"))
    public = [
        name for name in vars(cr)
        if not name.startswith("_") and not isinstance(getattr(cr, name), types.ModuleType)
    ]
    assert len(public) > 100
    missing = [
        name for name in public
        if not re.search(rf"(chainrule(\.\w+)*\.{name}\b|^\s+- {name}$|`cr\.{name}`)", text, re.M)
    ]
    assert not missing, f"add these to a page in docs/reference/: {missing}"


def test_all_lists_every_public_name_and_nothing_else():
    defined = {
        name for name in vars(cr)
        if not name.startswith("_") and not isinstance(getattr(cr, name), types.ModuleType)
    }
    assert len(cr.__all__) == len(set(cr.__all__))
    unlisted = sorted(defined - set(cr.__all__))
    assert not unlisted, f"add these to __all__ in chainrule/__init__.py: {unlisted}"
    undefined = sorted(set(cr.__all__) - defined)
    assert not undefined, f"__all__ names what chainrule does not define: {undefined}"
