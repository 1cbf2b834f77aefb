"""A generic CMYK ICC profile, made here, for print output intents on any machine.

Printers name the profile they want (``formats.print.icc_profile``); when none is
set and none is installed, pressroom uses this one: an ICC v2 output profile built
from a simple ink model (subtractive primaries, grey-component replacement). It is
an honest approximation of coated-paper offset, not a characterised press; its
purpose is a valid CMYK output intent, so that print PDFs are PDF/X-4 everywhere.

The file is generated, byte for byte the same every time, by :func:`build_profile`.
"""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

DESCRIPTION = "pressroom generic CMYK (approximate coated offset)"
_D50 = (0.9642, 1.0, 0.8249)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _srgb_to_linear(value: float) -> float:
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _linear_to_srgb(value: float) -> float:
    value = min(1.0, max(0.0, value))
    return 12.92 * value if value <= 0.0031308 else 1.055 * value ** (1 / 2.4) - 0.055


# sRGB (D65) to XYZ adapted to D50 (Bradford), and back.
_RGB_TO_XYZ = (
    (0.4360747, 0.3850649, 0.1430804),
    (0.2225045, 0.7168786, 0.0606169),
    (0.0139322, 0.0971045, 0.7141733),
)
_XYZ_TO_RGB = (
    (3.1338561, -1.6168667, -0.4906146),
    (-0.9787684, 1.9161415, 0.0334540),
    (0.0719453, -0.2289914, 1.4052427),
)


def _mul(matrix, vector):
    return tuple(sum(m * v for m, v in zip(row, vector, strict=True)) for row in matrix)


def _f(t: float) -> float:
    return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116


def _f_inv(t: float) -> float:
    return t**3 if t**3 > 216 / 24389 else (116 * t - 16) / (24389 / 27)


def cmyk_to_lab(c: float, m: float, y: float, k: float) -> tuple[float, float, float]:
    """The ink model: each ink absorbs its complement; black darkens everything.
    Paper is a little below perfect white (L* 96); black alone prints near L* 9."""
    paper = 0.96
    rgb = [paper * (1 - ink * 0.92) * (1 - k * 0.9) for ink in (c, m, y)]
    xyz = _mul(_RGB_TO_XYZ, [_srgb_to_linear(v) for v in rgb])
    fx, fy, fz = (_f(v / w) for v, w in zip(xyz, _D50, strict=True))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def lab_to_cmyk(lightness: float, a: float, b: float) -> tuple[float, float, float, float]:
    """The inverse, with grey-component replacement: black carries the shared darkness."""
    fy = (lightness + 16) / 116
    xyz = [w * _f_inv(t) for t, w in zip((fy + a / 500, fy, fy - b / 200), _D50, strict=True)]
    rgb = [min(1.0, max(0.0, _linear_to_srgb(v) / 0.96)) for v in _mul(_XYZ_TO_RGB, xyz)]
    k_share = 1 - max(rgb)
    k = min(1.0, k_share / 0.9)
    rest = 1 - k * 0.9
    if rest <= 0:
        return 0.0, 0.0, 0.0, 1.0
    return (*(min(1.0, max(0.0, (1 - v / rest) / 0.92)) for v in rgb), k)


def _lab16(lightness: float, a: float, b: float) -> tuple[int, int, int]:
    """ICC v2 16-bit Lab encoding (L 0-100 -> 0-0xFF00, a/b -128-127.996 -> 0-0xFFFF)."""
    clamp = lambda v: max(0, min(0xFFFF, round(v)))  # noqa: E731
    return (clamp(lightness * 0xFF00 / 100), clamp((a + 128) * 256), clamp((b + 128) * 256))


def _lut16(inputs: int, outputs: int, points: int, function) -> bytes:
    identity = b"".join(_s15(1.0 if row == col else 0.0) for row in range(3) for col in range(3))
    head = b"mft2" + bytes(4) + bytes((inputs, outputs, points, 0)) + identity
    linear = struct.pack(">HH", 0, 0xFFFF)
    table = head + struct.pack(">HH", 2, 2) + linear * inputs
    grid = [i / (points - 1) for i in range(points)]
    values = bytearray()
    for position in itertools.product(grid, repeat=inputs):
        values += struct.pack(f">{outputs}H", *function(position))
    return table + bytes(values) + linear * outputs


def _text(tag: str) -> bytes:
    return b"text" + bytes(4) + tag.encode("ascii") + b"\0"


def _desc(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    body = b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text
    return body + bytes(4 + 4) + bytes(2 + 1 + 67)  # no Unicode, no ScriptCode


def _xyz(values) -> bytes:
    return b"XYZ " + bytes(4) + b"".join(_s15(v) for v in values)


def build_profile() -> bytes:
    """The profile's bytes (deterministic)."""

    def to_lab(position):
        return _lab16(*cmyk_to_lab(*position))

    def to_cmyk(position):
        lightness = position[0] * 100
        a, b = (v * 255 - 128 for v in position[1:])
        return tuple(round(v * 0xFFFF) for v in lab_to_cmyk(lightness, a, b))

    def out_of_gamut(position):
        # 0 where a Lab colour survives the trip through the inks (within 3 delta E),
        # else how far it lands from itself: what the ICC's gamt tag asks.
        lightness = position[0] * 100
        a, b = (v * 255 - 128 for v in position[1:])
        back = cmyk_to_lab(*lab_to_cmyk(lightness, a, b))
        distance = sum((x - y) ** 2 for x, y in zip(back, (lightness, a, b), strict=True)) ** 0.5
        return (0 if distance <= 3 else min(0xFFFF, round(distance * 256)),)

    a2b = _lut16(4, 3, 9, to_lab)
    b2a = _lut16(3, 4, 17, to_cmyk)
    # Every tag ICC.1:2001 (v2) requires of an output profile: the three intents both
    # ways (one ink model serves all three) and the gamut tag.
    tags = [
        (b"desc", _desc(DESCRIPTION)),
        (b"cprt", _text("No copyright: made by pressroom, free for any use")),
        (b"wtpt", _xyz(_D50)),
        (b"A2B0", a2b),
        (b"B2A0", b2a),
        (b"A2B1", a2b),
        (b"B2A1", b2a),
        (b"A2B2", a2b),
        (b"B2A2", b2a),
        (b"gamt", _lut16(3, 1, 17, out_of_gamut)),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"none"  # preferred CMM
        + bytes((2, 0x10, 0, 0))  # version 2.1
        + b"prtr"  # output device
        + b"CMYK"
        + b"Lab "
        + struct.pack(">6H", 2026, 1, 1, 0, 0, 0)  # fixed date: reproducible
        + b"acsp"
        + bytes(4)  # primary platform: none
        + bytes(4)  # flags
        + bytes(4)  # manufacturer
        + bytes(4)  # model
        + bytes(8)  # attributes
        + struct.pack(">I", 1)  # rendering intent: relative colorimetric
        + b"".join(_s15(v) for v in _D50)
        + bytes(4)  # creator
        + bytes(16)  # profile id
        + bytes(28)  # reserved
    )
    assert len(header) == 128, len(header)
    return header + struct.pack(">I", len(tags)) + table + data


def write_profile(path: Path) -> Path:
    path.write_bytes(build_profile())
    return path
