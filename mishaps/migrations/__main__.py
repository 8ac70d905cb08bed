"""Draft a migration for what the models have and the newest revision lacks.

    python -m mishaps.migrations "what changed"

Builds a scratch SQLite database at the newest revision, compares it with the models (Alembic's
autogenerate) and writes ``versions/NNNN_what_changed.py``. Read and finish the draft: SQLite
cannot show PostgreSQL-only details, and derived columns need filling. Then append NNNN to
``REVISIONS``; tests/test_db.py checks the result on both backends.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path


def draft(message: str) -> Path | None:
    """Write the draft and return its path; None when the models and migrations agree."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    from mishaps.config import to_url
    from mishaps.db import _alembic_config, make_engine, migrate
    from mishaps.migrations import REVISIONS, include_name

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(to_url(str(Path(tmp) / "scratch.db")), create=True)
        migrate(engine)
        with engine.begin() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_name": include_name, "compare_type": True}
            )
            if not compare_metadata(context, SQLModel.metadata):
                engine.dispose()
                return None
            rev_id = f"{int(REVISIONS[-1]) + 1:04d}"
            slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40]
            script = command.revision(
                _alembic_config(conn), message=message, autogenerate=True, rev_id=rev_id
            )
        engine.dispose()
    path = Path(script.path)  # type: ignore[union-attr]
    final = path.with_name(f"{rev_id}_{slug}.py")
    path.rename(final)
    return final


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].strip():
        print(__doc__, file=sys.stderr)
        return 2
    path = draft(argv[0])
    if path is None:
        print("Nothing to migrate: the models and the migrations agree.", file=sys.stderr)
        return 1
    print(f"Wrote {path}: read and finish it, then add its id to REVISIONS.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
