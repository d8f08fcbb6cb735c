"""Replace a file all at once: readers see the old file or the new one, never half of either.

Only a regular file is ever replaced. A symlink is followed and its target replaced (the
link stays a link); a FIFO, the null device or a terminal (``/dev/null``, ``/dev/stdout``, a
named pipe a reader waits on) is written through, since renaming over it would destroy it; a
directory, a block device, a socket or another character device (``/dev/port``) is refused.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from claimx.errors import OutputError

__all__ = ["atomic_replace", "descriptor_of", "open_stream", "output_kind", "write_error"]

#: Where the kernel lists a process's open files: ``/proc/self/fd/1`` (``/dev/stdout`` and
#: ``/dev/fd/N`` lead there).
_FD_FOLDER = re.compile(r"^/proc/(?:self|thread-self|\d+)/fd$")


def descriptor_of(path: Path) -> int | None:
    """The open file descriptor ``path`` names (``/dev/stdout`` → 1), or None for a plain path.

    Such a path is a door to a file the shell already opened (a pipe, or a file it appends
    to): resolving it as a name gives ``pipe:[1234]`` (which cannot be opened) or the file
    itself (which would then be replaced, losing what the shell appended to).
    """
    current = os.path.abspath(path)
    for _ in range(40):  # symlinks are followed one at a time, as the kernel does
        folder = os.path.realpath(os.path.dirname(current))
        name = os.path.basename(current)
        if _FD_FOLDER.match(folder) and name.isdigit():
            return (
                int(name) if folder.endswith(("/self/fd", "/thread-self/fd", f"/{os.getpid()}/fd")) else None
            )
        try:
            link = os.readlink(current)
        except OSError:
            return None
        current = os.path.normpath(os.path.join(folder, link))
    return None


def open_stream(path: Path) -> BinaryIO:
    """A handle writing through ``path``: a device, a FIFO or an open descriptor (``/dev/stdout``).

    A descriptor is duplicated, so the data goes where the shell pointed it, at its position
    (appending where it appends); anything else is opened by its real name.
    """
    descriptor = descriptor_of(path)
    try:
        if descriptor is not None:
            return os.fdopen(os.dup(descriptor), "wb")
        return open(os.path.realpath(path), "wb")
    except OSError as exc:
        raise write_error(path, exc) from exc


def output_kind(path: Path) -> str:
    """What ``path`` is now, symlinks followed: ``absent``, ``file``, ``stream`` (device/FIFO) or ``other``.

    Raises :class:`OutputError` for what can never be an output (a directory, a block device,
    a socket).
    """
    if descriptor_of(path) is not None:
        return "stream"
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "absent"
    except OSError as exc:
        raise write_error(path, exc) from exc
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISFIFO(mode):
        return "stream"
    if stat.S_ISCHR(mode):
        if _harmless_character_device(path, os.stat(path).st_rdev):
            return "stream"
        raise OutputError(
            f"cannot write {path}: it is a character device, and only /dev/null, a terminal, a FIFO "
            "or /dev/stdout are written through; give a file name"
        )
    what = "a directory" if stat.S_ISDIR(mode) else "a block device" if stat.S_ISBLK(mode) else "not a file"
    raise OutputError(f"cannot write {path}: it is {what}; give a file name")


#: Linux's terminal majors: virtual consoles and serial lines (4), /dev/tty and /dev/console (5),
#: pseudo-terminals (136-143).
_TTY_MAJORS = frozenset({4, 5, *range(136, 144)})
#: Linux's memory devices that only discard or refuse what is written: null (1, 3), zero (1, 5),
#: full (1, 7). Their neighbours mem (1, 1) and port (1, 4) are the hardware.
_HARMLESS_MEMORY_DEVICES = frozenset({(1, 3), (1, 5), (1, 7)})
_LINUX = sys.platform.startswith("linux")


def _harmless_character_device(path: Path, rdev: int) -> bool:
    """Whether writing through the character device ``path`` only shows or discards the text.

    As root, ``-o /dev/port``, ``/dev/mem`` or ``/dev/watchdog`` would write into the hardware;
    only the null device (under any name, and its kin zero and full) and terminals are what
    ``-o`` can mean. Judged by the
    device numbers, not by opening it (opening a watchdog already arms it).
    """
    try:
        if rdev == os.stat(os.devnull).st_rdev:
            return True
    except OSError:
        pass
    if _LINUX:
        return os.major(rdev) in _TTY_MAJORS or (os.major(rdev), os.minor(rdev)) in _HARMLESS_MEMORY_DEVICES
    return os.path.realpath(path).startswith(("/dev/tty", "/dev/pts/", "/dev/console"))


def write_error(path: Path, exc: OSError) -> OutputError:
    """One line saying why ``path`` cannot be written (full disk, read-only folder, …)."""
    reason = exc.strerror or type(exc).__name__
    return OutputError(f"cannot write {path}: {reason}")


@contextmanager
def atomic_replace(path: Path) -> Iterator[BinaryIO]:
    """Yield a binary handle whose contents replace ``path`` when the block ends without error.

    The data goes to a temporary file beside ``path`` (beside the target of a symlink), is
    flushed to disk, and is renamed over it (atomic on POSIX and Windows); on any error,
    or an interrupt, the temporary file is removed and ``path`` is untouched. The file gets
    the permissions a plain ``open()`` would give (an existing file's, else the umask's),
    not the private ones of a temporary file. A device or FIFO is written through instead.
    An ``OSError`` (full disk, read-only folder) becomes an :class:`OutputError`.
    """
    if output_kind(path) == "stream":
        try:
            with open_stream(path) as stream:
                yield stream
        except OSError as exc:
            raise write_error(path, exc) from exc
        return
    target = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise write_error(path, exc) from exc
    try:
        os.chmod(tmp, _mode_for(target))
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise write_error(path, exc) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
