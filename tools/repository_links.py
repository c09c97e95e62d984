"""Relative links in the project's Markdown, made absolute against the public repository.

README.md and docs/ link to files by relative path (docs/api.md, ../tests/test_seed.py),
which works in the repository and in an unpacked sdist. Wherever a page is shown
elsewhere those links lead nowhere, so two readers use this one module:

* setup.py: the package index shows README.md as the long description; every relative
  link in it becomes a link into the repository (images into its raw files).
* mkdocs.yml loads this file as a hook: on the docs site, a link that leaves docs/
  (derivations.md links each derivation to its test) becomes a link into the
  repository, after checking that the file exists, so a broken one fails the strict
  build like any other broken link.

The repository address is written once, as [tool.chainrule] repository in
pyproject.toml. Links follow GitHub's layout: <repository>/blob/<branch>/<path> for a
page, <repository>/raw/<branch>/<path> for an image.
"""

from __future__ import annotations

import logging
import posixpath
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
BRANCH = "main"

# An inline Markdown link or image: [text](target) or ![alt](target), target without spaces.
_LINK = re.compile(r"(?P<bang>!?)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
_ABSOLUTE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|/|#)")  # a scheme, a site path, an anchor

log = logging.getLogger("mkdocs.plugins.chainrule.repository_links")


def repository_url(root: Path = ROOT) -> str:
    """The repository address from pyproject.toml's [tool.chainrule] table."""
    with open(root / "pyproject.toml", "rb") as f:
        config = tomllib.load(f)
    try:
        url = config["tool"]["chainrule"]["repository"]
    except KeyError:
        raise KeyError(
            f"{root / 'pyproject.toml'} has no [tool.chainrule] repository = '...'; "
            "add the public repository's address there"
        ) from None
    return url.rstrip("/")


def project_urls(repository: str) -> dict[str, str]:
    """The package index's project links, all under the repository."""
    return {
        "Homepage": repository,
        "Documentation": f"{repository}/tree/{BRANCH}/docs",
        "Source": repository,
        "Issues": f"{repository}/issues",
    }


def _split(target: str) -> tuple[str, str]:
    path, _, anchor = target.partition("#")
    return path, f"#{anchor}" if anchor else ""


def relative_targets(markdown: str) -> list[str]:
    """The relative link and image targets of a Markdown text, anchors removed."""
    return [
        _split(m["target"])[0]
        for m in _LINK.finditer(markdown)
        if not _ABSOLUTE.match(m["target"])
    ]


def absolute_links(
    markdown: str, page: str, repository: str, keep_inside: str | None = None
) -> str:
    """`markdown` (the file `page`, relative to the repository root) with absolute links.

    A relative target is resolved against the page's folder. Targets inside the
    `keep_inside` folder are left alone (the docs site resolves those itself).
    """
    folder = posixpath.dirname(page)

    def rewrite(m: re.Match[str]) -> str:
        target = m["target"]
        if _ABSOLUTE.match(target):
            return m[0]
        path, anchor = _split(target)
        resolved = posixpath.normpath(posixpath.join(folder, path))
        if resolved.startswith("../"):
            raise ValueError(f"{page}: the link {target!r} points outside the repository")
        if keep_inside and (resolved + "/").startswith(keep_inside.rstrip("/") + "/"):
            return m[0]
        kind = "raw" if m["bang"] else "blob"
        return f"{m['bang']}[{m['text']}]({repository}/{kind}/{BRANCH}/{resolved}{anchor})"

    return _LINK.sub(rewrite, markdown)


def readme_for_index(root: Path = ROOT) -> str:
    """README.md as the package index shows it: every relative link absolute."""
    text = (root / "README.md").read_text(encoding="utf-8")
    return absolute_links(text, "README.md", repository_url(root))


# ------------------------------------------------------------------ MkDocs hook
def on_page_markdown(markdown, page, config, files):
    """Point links that leave docs/ into the repository; warn (strict: fail) if missing."""
    docs_dir = Path(config["docs_dir"]).resolve()
    docs = docs_dir.relative_to(ROOT).as_posix()
    page_path = f"{docs}/{page.file.src_uri}"
    folder = posixpath.dirname(page_path)
    for target in relative_targets(markdown):
        resolved = posixpath.normpath(posixpath.join(folder, target))
        if not resolved.startswith(f"{docs}/") and not (ROOT / resolved).exists():
            log.warning(f"{page_path} links to {target!r}, which is not in the repository")
    return absolute_links(markdown, page_path, repository_url(), keep_inside=docs)
