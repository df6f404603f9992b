"""The text encodings offices' files come in: UTF-8 (with or without the BOM Excel writes) or GB18030."""

from __future__ import annotations

ENCODINGS = ("utf-8-sig", "gb18030")


def decode_text(raw: bytes) -> str | None:
    """`raw` as text in the first encoding that reads all of it; None when none does."""
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None
