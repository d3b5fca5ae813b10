"""Input limits on what the loads read: each a setting (environment variable, sane default), each
refused with an error that names the limit (docs/CONTRACTS.md "Input limits").

- ``ITC_MAX_LINE_BYTES``: the longest JSON Lines record of a snapshot file (default 32 MiB); a longer
  line is refused as soon as the reader has that many bytes of it, never read whole.
- ``ITC_MAX_DECOMPRESSION_RATIO``: a snapshot file may decompress to at most this many times its
  compressed size (default 100), or :data:`DECOMPRESSED_FLOOR_BYTES` whichever is larger; a gzip bomb
  is refused while it streams.
- ``ITC_MAX_MANIFEST_BYTES``: the largest ``_manifest.json`` a load reads (default 1 MiB).

The Quickbase response limit is a Verify+ extract setting (``ITC_QB_MAX_RESPONSE_BYTES``) and the
database ``connect_timeout`` a :class:`~itc_common_utilities.settings.DatabaseSettings` one
(``ITC_DB_CONNECT_TIMEOUT_S``).
"""

from __future__ import annotations

from dataclasses import dataclass

from itc_common_utilities.settings import env_field, load_settings, parse_positive_int

MIB = 1 << 20
DECOMPRESSED_FLOOR_BYTES = 64 * MIB  # a small file may always decompress this far, whatever its ratio


@dataclass(frozen=True)
class SnapshotLimits:
    """The limits a load applies while reading a snapshot (see the module doc)."""

    max_line_bytes: int = env_field("ITC_MAX_LINE_BYTES", default=32 * MIB, parse=parse_positive_int,
                                    doc="snapshot input limit: the longest JSON Lines record (bytes)")
    max_decompression_ratio: int = env_field(
        "ITC_MAX_DECOMPRESSION_RATIO", default=100, parse=parse_positive_int,
        doc="snapshot input limit: how many times its compressed size a file may decompress to")
    max_manifest_bytes: int = env_field("ITC_MAX_MANIFEST_BYTES", default=MIB, parse=parse_positive_int,
                                        doc="snapshot input limit: the largest `_manifest.json` (bytes)")

    def max_decompressed_bytes(self, compressed_bytes: int) -> int:
        """How far a file of ``compressed_bytes`` may decompress."""
        return max(self.max_decompression_ratio * compressed_bytes, DECOMPRESSED_FLOOR_BYTES)


def snapshot_limits() -> SnapshotLimits:
    """The limits from the environment (defaults otherwise); a malformed value is a SettingsError naming it."""
    return load_settings(SnapshotLimits)
