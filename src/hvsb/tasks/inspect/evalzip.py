"""Fast reading of the samples in an Inspect `.eval` log, for tables of 100,000 samples.

An `.eval` log is a zip archive holding one JSON document per sample
(`samples/<id>_epoch_<n>.json`, zstd-compressed). Building Inspect's pydantic sample
objects costs about 8 ms a sample; the analysis needs four fields of each, so this module
reads the members directly:

- members are located with the stdlib `zipfile` (central directory), then read with one
  reused zstd decompressor, which avoids a decompressor per member (3× faster); any
  member this does not handle (other compression, several frames, CRC mismatch) is read
  by `zipfile` itself;
- of each document only `id`/`epoch` and the span `output` … `metadata` are parsed, not
  the prompt, messages and events. A span cut at the wrong nesting level leaves brackets
  unbalanced and fails to parse, so a successful parse is exact; otherwise, and for logs
  that may hold failed samples (the `error` field comes after the events), the whole
  document is parsed.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ZSTD = 93  # the zip compression method id of zstandard
_LOCAL_HEADER = 30  # bytes before the name and extra field of a zip local file header


def available() -> bool:
    """Whether zstd members can be read (Python 3.14+, or zipfile-zstd as Inspect uses)."""
    if not hasattr(zipfile, "ZIP_ZSTANDARD"):
        try:
            import zipfile_zstd  # noqa: F401  (an inspect-ai dependency before Python 3.14)
        except ImportError:
            return False
    return hasattr(zipfile, "ZIP_ZSTANDARD")


def sample_documents(path: Path, *, full: bool) -> Iterator[dict[str, Any]]:
    """Each sample's fields (id, epoch, output, scores, metadata; all fields if `full`)."""
    decompress = _zstd_decompressor()
    with zipfile.ZipFile(path) as archive, path.open("rb") as handle:
        for info in archive.infolist():
            name = info.filename
            if name.startswith("samples/") and name.endswith(".json"):
                raw = _member(handle, info, decompress) or archive.read(info)
                yield _fields(raw, full=full)


def _zstd_decompressor() -> Any:
    try:
        import zstandard
    except ImportError:
        return None
    return zstandard.ZstdDecompressor()


def _member(handle: Any, info: zipfile.ZipInfo, decompressor: Any) -> bytes | None:
    """A member's bytes read directly, or None to let zipfile read it."""
    if info.compress_type not in (ZSTD, zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    if info.compress_type == ZSTD and decompressor is None:
        return None
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER)
    if len(header) < _LOCAL_HEADER or header[:4] != b"PK\x03\x04":
        return None
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    handle.seek(info.header_offset + _LOCAL_HEADER + name_length + extra_length)
    raw = handle.read(info.compress_size)
    try:
        if info.compress_type == ZSTD:
            data = decompressor.decompress(raw, max_output_size=info.file_size)
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            data = zlib.decompress(raw, -15)
        else:
            data = raw
    except Exception:  # zstandard and zlib raise their own error types
        return None
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        return None
    return data


def _fields(raw: bytes, *, full: bool) -> dict[str, Any]:
    if not full:
        head, span = raw.find(b',"input":'), raw.find(b',"output":')
        end = raw.find(b',"store":', span)
        if end < 0:
            end = raw.find(b',"events":', span)
        if 0 < head < span < end:
            try:
                data = json.loads(raw[:head] + b"," + raw[span + 1 : end] + b"}")
            except ValueError:
                data = None
            if isinstance(data, dict) and {"id", "output", "metadata"} <= data.keys():
                return data
    return json.loads(raw)
