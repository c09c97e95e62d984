"""The two metadata fields pyproject.toml declares dynamic (all else is in pyproject.toml).

The package index shows README.md away from the repository, where its relative links
lead nowhere: the long description is README.md with those links made absolute, and
the project URLs come from the same repository address (tools/repository_links.py).
"""

import sys
from pathlib import Path

from setuptools import setup

# The build backend runs this file without its folder on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))

from repository_links import project_urls, readme_for_index, repository_url  # noqa: E402

setup(
    long_description=readme_for_index(),
    long_description_content_type="text/markdown",
    project_urls=project_urls(repository_url()),
)
