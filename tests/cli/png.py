"""A small PNG reader for the screenshot tests (no Pillow): the size, and the pixels of the top rows.

Only what Chromium's screenshots use is read: 8-bit RGB or RGBA, not interlaced. The image data
is the zlib stream over the IDAT chunks; each scanline starts with its filter type (PNG 1.2,
section 6), undone here row by row.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {2: 3, 6: 4}  # colour type: RGB, RGBA


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    channels: int
    rows: list[bytes]  # the decoded scanlines read (the top ones), without their filter byte

    def pixels(self) -> set[tuple[int, ...]]:
        """Every distinct (r, g, b) in the rows read."""
        step = self.channels
        return {tuple(row[i : i + 3]) for row in self.rows for i in range(0, len(row), step)}


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG: no PNG signature")
    found, i = [], len(SIGNATURE)
    while i < len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind, body = data[i + 4 : i + 8], data[i + 8 : i + 8 + length]
        (crc,) = struct.unpack(">I", data[i + 8 + length : i + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"PNG chunk {kind!r}: bad CRC")
        found.append((kind, body))
        i += 12 + length
    return found


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(kind: int, line: bytes, prior: bytes, bpp: int) -> bytes:
    """One scanline with its filter undone (``prior``: the row above, decoded)."""
    if kind == 0:
        return line
    if kind == 2:
        return bytes((x + b) & 0xFF for x, b in zip(line, prior, strict=True))
    out = bytearray(line)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        if kind == 1:
            out[i] = (out[i] + a) & 0xFF
        elif kind == 3:
            out[i] = (out[i] + (a + b) // 2) & 0xFF
        elif kind == 4:
            out[i] = (out[i] + _paeth(a, b, c)) & 0xFF
        else:
            raise ValueError(f"PNG: unknown filter type {kind}")
    return bytes(out)


def read(data: bytes, max_rows: int | None = None) -> Png:
    """The PNG's size and its first ``max_rows`` rows of pixels (all of them when None)."""
    parts = chunks(data)
    kind, header = parts[0]
    if kind != b"IHDR":
        raise ValueError("PNG: the first chunk is not IHDR")
    width, height, depth, colour, _compression, _filter, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError(f"PNG: only 8-bit RGB/RGBA, not interlaced, is read here (depth {depth}, colour {colour})")
    channels = CHANNELS[colour]
    raw = zlib.decompress(b"".join(body for k, body in parts if k == b"IDAT"))
    stride = width * channels
    if len(raw) != height * (stride + 1):
        raise ValueError(f"PNG: {len(raw)} bytes of image data, expected {height * (stride + 1)}")
    rows: list[bytes] = []
    prior = bytes(stride)
    for y in range(height if max_rows is None else min(height, max_rows)):
        start = y * (stride + 1)
        prior = unfilter(raw[start], raw[start + 1 : start + 1 + stride], prior, channels)
        rows.append(prior)
    return Png(width, height, channels, rows)
