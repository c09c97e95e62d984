"""The one way chainrule writes a file: atomically, durably, and never half.

:func:`atomic_write` (and :func:`atomic_file` for writers that want a file object, such
as matplotlib's ``savefig``) writes to a temporary file in the target's directory,
flushes and fsyncs it, renames it over the target and fsyncs the directory. Readers see
the old file or the new one, never a mix; after a crash or power loss the old file is
still there until the rename is on disk. On any failure the temporary file is removed
and the target is untouched; an ``OSError`` (disk full, file too large, permission
denied) is raised again with the *target's* path as its ``filename``, so messages name
the file that could not be written rather than a temporary name or nothing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["atomic_file", "atomic_write", "is_temporary", "remove_stale_temporaries"]

# Temporary files are ".<target name>.<12 hex digits>.tmp": hidden, next to their target.
_TMP_SUFFIX = ".tmp"
_TOKEN_HEX = 6


def _temporary_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(_TOKEN_HEX)}{_TMP_SUFFIX}")


def is_temporary(name: str, target: str) -> bool:
    """True if ``name`` is a temporary file :func:`atomic_file` made for ``target``."""
    prefix = f".{target}."
    token = name[len(prefix) : -len(_TMP_SUFFIX)]
    return (
        name.startswith(prefix)
        and name.endswith(_TMP_SUFFIX)
        and len(token) == 2 * _TOKEN_HEX
        and all(c in "0123456789abcdef" for c in token)
    )


def remove_stale_temporaries(directory: Path, targets) -> list[Path]:
    """Delete temporary files for ``targets`` in ``directory``; return what was removed.

    A process killed mid-write (SIGKILL, power loss) cannot remove its temporary file.
    Call this only while no other process can be writing these targets (e.g. holding
    the run directory's lock), or it would delete a live write's file.
    """
    removed = []
    targets = tuple(targets)
    with os.scandir(directory) as entries:
        for entry in entries:
            if any(is_temporary(entry.name, t) for t in targets):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _fsync_directory(directory: Path) -> None:
    """Persist a rename by syncing its directory (POSIX only; best effort)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        # Some filesystems (e.g. certain network mounts) refuse fsync on directories; the
        # file itself is already complete and in place, so this is not worth failing over.
        pass
    finally:
        os.close(fd)


def _naming(exc: OSError, path: Path) -> OSError:
    """The same error, about ``path`` (the target) instead of a temporary or no file."""
    if exc.errno is None:
        return exc
    return type(exc)(exc.errno, exc.strerror, str(path))


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary file object whose contents replace ``path`` when the block ends cleanly.

    If the block raises, ``path`` keeps its previous contents (or stays absent) and the
    temporary file is removed.
    """
    path = Path(path)
    directory = path.parent
    tmp = _temporary_name(path)
    try:
        # os.open with 0o666 (unlike mkstemp's 0o600) lets the umask decide permissions,
        # as for any ordinarily created file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise _naming(exc, path) from exc
    try:
        with open(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _naming(exc, path) from exc
        raise
    _fsync_directory(directory)


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Replace ``path`` with ``data`` (str is written as UTF-8) atomically and durably."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_file(path) as f:
        f.write(data)
