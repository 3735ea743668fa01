"""The delivery log: which files an anchor delivered, which are the same delivery under another name,
and which a later corrected delivery of the same period replaced.

A delivery is identified by its content (SHA-256), not its name: a file delivered twice, or renamed,
is counted once. Deliveries are taken in the order they arrived (modification time, then name). When
the anchor's configuration has a ``period_pattern``, a file name declares the period it covers
(``crediteurenfacturen_2024.csv`` -> ``2024``); a later delivery of the same period replaces the earlier
one as a whole, and the replacement is recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.config import AnchorConfig
from ingestion.messages import render

DELIVERY_COLUMNS = [
    "anchor_code", "source_file", "sha256", "size_bytes", "modified_at", "declared_period", "status",
    "duplicate_of", "superseded_by", "reason", "rows_read", "rows_loaded", "rows_rejected", "rows_superseded",
    "euros_read", "euros_loaded", "euros_rejected", "euros_superseded",
]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Delivery:
    anchor_code: str
    source_file: str
    path: Path
    sha256: str
    size_bytes: int
    modified_at: dt.datetime
    declared_period: str | None
    status: str = "loaded"  # loaded | duplicate | superseded | rejected
    duplicate_of: str | None = None
    superseded_by: str | None = None
    reason: str | None = None
    reason_code: str | None = None
    warnings: list[str] = field(default_factory=list)
    error: Exception | None = None
    rows_read: int | None = None
    rows_loaded: int | None = None
    rows_rejected: int | None = None
    rows_superseded: int | None = None
    cents_read: int | None = None
    cents_loaded: int | None = None
    cents_rejected: int | None = None
    cents_superseded: int | None = None

    def reconciles(self) -> bool:
        """rows and euros read = loaded + rejected + superseded (trivially true when nothing was read)."""
        if self.rows_read is None:
            return True
        return (self.rows_read == self.rows_loaded + self.rows_rejected + self.rows_superseded
                and self.cents_read == self.cents_loaded + self.cents_rejected + self.cents_superseded)

    def as_record(self) -> dict:
        def euros(cents):  # exact decimal text, no float in between
            if cents is None:
                return None
            sign, mag = ("-" if cents < 0 else ""), abs(int(cents))
            return f"{sign}{mag // 100}.{mag % 100:02d}"

        reason = "; ".join([r for r in [self.reason, *self.warnings] if r]) or None
        return {
            "anchor_code": self.anchor_code, "source_file": self.source_file, "sha256": self.sha256,
            "size_bytes": self.size_bytes, "modified_at": self.modified_at,
            "declared_period": self.declared_period, "status": self.status, "duplicate_of": self.duplicate_of,
            "superseded_by": self.superseded_by, "reason": reason, "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded, "rows_rejected": self.rows_rejected,
            "rows_superseded": self.rows_superseded, "euros_read": euros(self.cents_read),
            "euros_loaded": euros(self.cents_loaded), "euros_rejected": euros(self.cents_rejected),
            "euros_superseded": euros(self.cents_superseded),
        }


def plan_deliveries(cfg: AnchorConfig, paths: list[Path], root: Path) -> list[Delivery]:
    """Hash and order the files; mark the ones whose content was already delivered."""
    deliveries = []
    for p in paths:
        stat = p.stat()
        deliveries.append(Delivery(
            anchor_code=cfg.code,
            source_file=str(p.relative_to(root)),
            path=p,
            sha256=sha256_of(p),
            size_bytes=stat.st_size,
            modified_at=dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC).replace(tzinfo=None),
            declared_period=cfg.declared_period(p.name),
        ))
    deliveries.sort(key=lambda d: (d.modified_at, d.source_file))
    first_by_hash: dict[str, Delivery] = {}
    for d in deliveries:
        if d.sha256 in first_by_hash:
            d.status = "duplicate"
            d.duplicate_of = first_by_hash[d.sha256].source_file
            d.reason_code = "file_duplicate"
            d.reason = render("file_duplicate", "en", duplicate_of=d.duplicate_of)
        else:
            first_by_hash[d.sha256] = d
    return deliveries
