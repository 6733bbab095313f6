"""`[store]` of the config: how long the journal stays in the database, the scheduled backups and
how often the engine's state is snapshotted (docs/STORE.md, "Retention", "Backups", "Snapshots")."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class StoreSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Journal days kept in the database; older ones move into the archive files beside it.
    journal_days: int = Field(default=30, ge=1, le=3650)
    backup_dir: str | None = Field(default=None, min_length=1)  # relative: to the database's folder
    backup_every_h: float = Field(default=24, gt=0, le=8760)
    backup_keep: int = Field(default=7, ge=1, le=1000)
    # Minutes of engine time between two snapshots of the engine (and one at each shift end);
    # fractions are allowed for tests and the crash harness.
    snapshot_every_min: float = Field(default=15.0, gt=0, le=1440)

    def backup_folder(self, db: Path) -> Path | None:
        """Where the scheduled backups go; None when there are none."""
        if self.backup_dir is None:
            return None
        folder = Path(self.backup_dir).expanduser()
        return folder if folder.is_absolute() else db.parent / folder
