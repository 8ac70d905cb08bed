"""Heavy imports stay lazy: `mishaps --help` and `mishaps list` never load WeasyPrint or
Datasette."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import sys
from mishaps.cli import app
try:
    app({args!r}, standalone_mode=False)
except SystemExit:
    pass
HEAVY = ("weasyprint", "sqlalchemy", "sqlmodel", "pydantic", "alembic", "datasette", "uvicorn")
HEAVY += ("mishaps.schema",)
HEAVY += ("mishaps.cli.common", "mishaps.cli.cases", "mishaps.cli.report", "mishaps.cli.db")
print("LOADED:" + ",".join(sorted(m for m in HEAVY if m in sys.modules)))
"""


def loaded_after(args: list[str]) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, check=True
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("LOADED:"))
    return set(filter(None, line[len("LOADED:") :].split(",")))


def test_help_imports_no_database_or_pdf_library() -> None:
    # Nor the modules of the commands it lists: their names and help are in mishaps.cli.COMMANDS.
    assert loaded_after(["--help"]) == set()


@pytest.mark.usefixtures("seeded_db")
def test_list_does_not_import_weasyprint() -> None:
    loaded = loaded_after(["list", "--aircraft", "KC-135", "--format", "json"])
    assert "sqlalchemy" in loaded  # the probe really ran the query
    assert "weasyprint" not in loaded
    assert "alembic" not in loaded  # checking the schema revision is one SELECT, no Alembic
    # A listing builds no Case: the interchange format's pydantic models stay unloaded (issue 16).
    assert "mishaps.schema" not in loaded
    assert "datasette" not in loaded and "uvicorn" not in loaded


def test_serve_help_imports_no_web_server() -> None:
    loaded = loaded_after(["serve", "--help"])
    assert not loaded & {"datasette", "uvicorn", "weasyprint", "sqlalchemy"}


# --- no module imports another that imports it back -------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def module_graph() -> dict[str, set[str]]:
    """mishaps module -> the mishaps modules it imports, at any level (TYPE_CHECKING aside).

    The migration scripts count as imported by ``mishaps.migrations``: Alembic loads them when
    ``db.migrate`` runs, so a script importing ``db`` would close a loop."""
    files = {}
    for path in (ROOT / "mishaps").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {name: _imports(name, path, files) for name, path in files.items()}
    graph["mishaps.migrations"] |= {
        n for n in files if n.startswith(("mishaps.migrations.versions.", "mishaps.migrations.env"))
    }
    return graph


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                for child in node.orelse:
                    self.visit(child)
            else:
                self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(a.name for a in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            module = node.module or ""
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    out = set()
    for module in found:
        while module and module not in known:
            module = module.rpartition(".")[0]
        if module and module != name and not name.startswith(module + "."):  # not its package
            out.add(module)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_module_imports_another_that_imports_it_back() -> None:
    graph = module_graph()
    assert "mishaps.csvfile" in graph["mishaps.files"]  # the graph sees lazy imports too
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_nothing_imports_the_cli() -> None:
    graph = module_graph()
    users = {
        m
        for m, deps in graph.items()
        if not m.startswith("mishaps.cli") and any(d.startswith("mishaps.cli") for d in deps)
    }
    assert users == {"mishaps.__main__"}


def test_no_cli_command_is_longer_than_a_screen() -> None:
    """A command parses, makes one library call and prints: about 40 lines with its options."""
    import inspect

    import typer.main

    from mishaps.cli import app
    from tests.test_cli import all_commands

    group = typer.main.get_command(app)
    lengths = {}
    for path in all_commands(app):
        command = group
        for name in path:
            command = command.commands[name]  # type: ignore[attr-defined]
        func = command.callback
        while hasattr(func, "__wrapped__"):
            func = func.__wrapped__
        if func is not None:
            lengths[" ".join(path) or "mishaps"] = len(inspect.getsource(func).splitlines())
    assert len(lengths) > 10 and max(lengths.values()) > 20  # it measured real commands
    assert {name: n for name, n in lengths.items() if n > 45} == {}


def test_top_level_help_builds_no_command() -> None:
    """`mishaps --help` lists names and help; Typer reads a command's signature only when it is
    looked up (issue 16: that reading was 7 ms of a 50 ms start-up beyond `import typer`)."""
    import typer.main

    from mishaps.cli import app

    group = typer.main.get_command(app)
    ctx = group.make_context("mishaps", [], resilient_parsing=True)
    text = group.get_help(ctx)
    assert "list" in text and "report" in text
    assert group.commands.built == {}  # type: ignore[attr-defined]
    assert group.get_command(ctx, "list").params  # a lookup builds the real command
    assert list(group.commands.built) == ["list"]  # type: ignore[attr-defined]
