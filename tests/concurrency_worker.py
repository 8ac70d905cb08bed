"""One process of tests/test_concurrency.py: runs `mishaps` commands in a loop, in-process.

    python tests/concurrency_worker.py '[["--db", URL, "list"], ...]' [ROUNDS]

Exits 0 when every command exited 0; otherwise prints the failing command and exits 1 (an
exception ends it with a traceback and exit 1 as well).
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    from mishaps.cli import app

    commands = json.loads(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    for _ in range(rounds):
        for args in commands:
            code = app(args, standalone_mode=False)
            if code not in (None, 0):
                print(f"exit {code}: mishaps {' '.join(args)}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
