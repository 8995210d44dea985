"""Test data for appeals that several test areas share."""

from __future__ import annotations

import io


def image_bytes(fmt: str, size: tuple[int, int] = (8, 8)) -> bytes:
    """A real, tiny image: photos are checked by Pillow, not only by their first bytes."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, fmt)
    return buffer.getvalue()
