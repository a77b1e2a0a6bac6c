"""Event payload compression: zlib at its fastest level.

qbXML responses (up to 10 MB each) are stored word for word, so compression runs on every
receiveResponseXML. Level 1 is several times faster than zlib's default and the text still
shrinks about fivefold; decompression does not depend on the level, so stores written at any
level read back the same.
"""

from __future__ import annotations

import zlib

from eventsourcing.persistence import Compressor

LEVEL = 1


class FastZlibCompressor(Compressor):
    """zlib, level 1."""

    def compress(self, data: bytes) -> bytes:
        return zlib.compress(data, LEVEL)

    def decompress(self, data: bytes) -> bytes:
        return zlib.decompress(data)
