"""Write the list of seed cases into seed_data/README.md, from the data itself.

    .venv/bin/python scripts/seed_readme.py          # rewrite the block between the markers
    .venv/bin/python scripts/seed_readme.py --check  # exit 1 if the README is out of step

tests/test_seed_data.py runs the check, so the list cannot drift from the files.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from mishaps.config import seed_case_files, seed_dir
from mishaps.ingest import load_files

START = "<!-- cases table: generated -->"
END = "<!-- end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def cases_block(folder: Path) -> str:
    cases = sorted(
        (item.case for item in load_files(seed_case_files())),
        key=lambda c: (c.occurred_on, c.id),
    )
    decades = Counter(f"{c.occurred_on[:3]}0s" for c in cases)
    statuses = Counter(c.status.value for c in cases)
    lines = [
        START,
        "",
        f"{len(cases)} cases: "
        + ", ".join(f"{n} from the {d}" for d, n in sorted(decades.items()))
        + "; "
        + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
        + " (status as defined in docs/format.md).",
        "",
        "| date | id | service | aircraft | killed | status |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in cases:
        aircraft = ", ".join(f"{a.type} ({a.role.value})" for a in c.aircraft)
        killed = "unknown" if c.fatalities is None else str(c.fatalities)
        lines.append(
            f"| {c.occurred_on} | `{c.id}` | {_cell(c.service)} | {_cell(aircraft)}"
            f" | {killed} | {c.status.value} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def rewritten(readme: str, block: str) -> str:
    if START not in readme or END not in readme.split(START, 1)[1]:
        raise SystemExit(f"seed_data/README.md needs the markers {START} ... {END}")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + block + tail


def main(argv: list[str]) -> int:
    folder = seed_dir()
    readme_path = folder / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    new = rewritten(readme, cases_block(folder))
    if "--check" in argv:
        if new != readme:
            print("seed_data/README.md is out of step: run scripts/seed_readme.py", file=sys.stderr)
            return 1
        return 0
    readme_path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
