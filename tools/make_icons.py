"""Generate the Teams app icons with the standard library only (zlib + struct, no Pillow).

    appPackage/color.png    192x192, full colour: white bold "S" on a teal square
    appPackage/outline.png  32x32, white "S" on a transparent background (alpha only)

Run: python tools/make_icons.py   (the PNGs are committed; re-run only when the design changes)
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEAL = (0, 121, 122)  # #00797A, also the manifest's accentColor
WHITE = (255, 255, 255)


def png_bytes(width: int, height: int, rows: list[bytes], color_type: int) -> bytes:
    """Encode raw pixel rows (RGB: color_type 2, RGBA: color_type 6, 8 bit) as a PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 per row
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def in_s(x: float, y: float, stroke: float) -> bool:
    """Is the point (unit square, y down) inside a bold "S" built from two open ring arcs?"""
    r = 0.165  # ring centre-line radius
    half = stroke / 2
    for cx, cy, lo, hi in ((0.5, 0.335, 90.0, 330.0), (0.5, 0.665, 270.0, 510.0)):
        dx, dy = x - cx, y - cy
        d = math.hypot(dx, dy)
        if abs(d - r) > half:
            continue
        ang = math.degrees(math.atan2(dy, dx)) % 360.0
        if lo <= ang <= hi or lo <= ang + 360.0 <= hi:
            return True
    return False


def coverage(px: int, py: int, size: int, margin: float, stroke: float, ss: int = 4) -> float:
    """Anti-aliased coverage of pixel (px, py) by the glyph, by ss x ss supersampling."""
    hits = 0
    inner = 1.0 - 2 * margin
    for sy in range(ss):
        for sx in range(ss):
            x = ((px + (sx + 0.5) / ss) / size - margin) / inner
            y = ((py + (sy + 0.5) / ss) / size - margin) / inner
            if 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 and in_s(x, y, stroke):
                hits += 1
    return hits / (ss * ss)


def color_icon(size: int = 192) -> bytes:
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            c = coverage(px, py, size, margin=0.16, stroke=0.13)
            row += bytes(round(TEAL[i] * (1 - c) + WHITE[i] * c) for i in range(3))
        rows.append(bytes(row))
    return png_bytes(size, size, rows, color_type=2)


def outline_icon(size: int = 32) -> bytes:
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            c = coverage(px, py, size, margin=0.06, stroke=0.15, ss=6)
            row += bytes((*WHITE, round(255 * c)))  # always white; shape lives in alpha
        rows.append(bytes(row))
    return png_bytes(size, size, rows, color_type=6)


def main(out_dir: Path = ROOT / "appPackage") -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "color.png").write_bytes(color_icon())
    (out_dir / "outline.png").write_bytes(outline_icon())
    print(f"wrote {out_dir / 'color.png'} and {out_dir / 'outline.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
