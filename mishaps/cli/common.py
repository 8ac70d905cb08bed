"""What every command shares: the database option, error translation, the filter options.

The only place that turns a MishapsError into ``Error: <message>`` on stderr and an exit code.
"""

import functools
import inspect
import re
import sys
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
import typer.core
from typer.core import TyperArgument, TyperCommand, TyperOption

from mishaps.errors import InvalidFilter, InvalidInput, MishapsError
from mishaps.filters import Filters, option_name
from mishaps.text import plural
from mishaps.vocab import Method, MishapClass, Phase, Role, Status

if TYPE_CHECKING:
    from mishaps.api import Database
    from mishaps.output import Listing

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class State:
    db: str | None = None


class _ChoiceError(typer.BadParameter):
    def format_message(self) -> str:
        return self.message


def _argument_name(param: Any) -> str:
    """An argument as help shows it: its metavar (FILE, ID), ``...`` when it takes several."""
    name = param.metavar or (param.name or "value").upper()
    return name + ("..." if param.nargs != 1 else "")


# An option declared without a metavar shows its Python type (<str>); a word instead.
_OPTION_METAVARS = {
    "<str>": "TEXT",
    "<int>": "N",
    "<float>": "NUMBER",
    "<Path>": "PATH",
    "<file>": "FILE",
    "<directory>": "DIR",
    "<path>": "PATH",
}


def _python_type(param: Any) -> str:
    try:
        return str(param.display_type(None))
    except Exception:  # a choice needs a context; choices show their values, which is right
        return ""


class Command(TyperCommand):
    """A command whose help and usage errors speak the user's words: ``FILE...`` and ``ID``, not
    Typer's ``{files}...`` and ``<list[Path]>``; "--format must be one of: table, json, csv"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperOption) and param.metavar is None:
                param.metavar = _OPTION_METAVARS.get(_python_type(param))
            if isinstance(param, TyperArgument):
                name = _argument_name(param)
                usage = name if param.required else f"[{name}]"
                # Typer offers no setting for these; they are its own hooks, set per argument.
                param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
                param._usage_display_name = functools.partial(str, usage)  # type: ignore[method-assign]
                param._rich_display_name = functools.partial(str, name)  # type: ignore[method-assign]

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except typer.BadParameter as exc:
            choices = getattr(getattr(exc.param, "type_descriptor", None), "choices", None)
            if not choices or exc.param is None:
                raise
            values = ", ".join(c.value if isinstance(c, Enum) else str(c) for c in choices)
            if isinstance(exc.param, TyperArgument):
                name = _argument_name(exc.param)
            else:
                name = max(getattr(exc.param, "opts", None) or [exc.param.name or "value"], key=len)
            given = re.search(r"(\S+) is not one of", exc.message)
            got = f" (not {given[1]})" if given else ""
            raise _ChoiceError(f"{name} must be one of: {values}{got}", ctx=ctx) from None


class App(typer.Typer):
    """A Typer app whose commands are ``Command``s unless told otherwise, so a command added by
    anyone gets help and choice errors in the user's words without remembering to ask.

    Its commands and sub-apps are turned into Click commands only when one is looked up: Typer
    reads every command's signature and type hints before it prints the top-level help (7 ms of
    `mishaps --help`'s 50 beyond `import typer`, issue 16); the help needs only names and
    docstrings."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deferred: list[tuple[str, Any]] = []  # ("command" | "group", Typer's info), in order
        self.info.cls = type("LazyGroup", (LazyGroup,), {"source": self})

    def command(self, *args: Any, cls: Any = None, **kwargs: Any) -> Any:
        register = super().command(*args, cls=cls or Command, **kwargs)

        def defer(func: F) -> F:
            register(func)
            self.deferred.append(("command", self.registered_commands.pop()))
            return func

        return defer

    def add_typer(self, *args: Any, **kwargs: Any) -> None:
        super().add_typer(*args, **kwargs)
        self.deferred.append(("group", self.registered_groups.pop()))


class _Stub(typer.core.TyperCommand):
    """What the help of the group lists for a command not built yet: its name and help."""


class _LazyCommands(MutableMapping[str, Any]):
    """A group's commands by name; each is built by Typer on first access."""

    def __init__(self, builders: dict[str, tuple[_Stub, Callable[[], Any]]]) -> None:
        self.builders = builders
        self.built: dict[str, Any] = {}

    def stub(self, name: str) -> Any:
        return self.built.get(name) or self.builders[name][0]

    def __getitem__(self, name: str) -> Any:
        if name not in self.built:
            self.built[name] = self.builders[name][1]()
        return self.built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self.builders.setdefault(name, (command, lambda: command))
        self.built[name] = command

    def __delitem__(self, name: str) -> None:
        del self.builders[name]
        self.built.pop(name, None)

    def __iter__(self) -> Any:
        return iter(self.builders)

    def __len__(self) -> int:
        return len(self.builders)


class LazyGroup(typer.core.TyperGroup):
    """A Typer group over an ``App``'s deferred commands (``source``, set per app)."""

    source: App
    _listing = False  # while the help lists the commands: stubs will do

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        import typer.main as tm

        short = self.source.pretty_exceptions_short
        builders: dict[str, tuple[_Stub, Callable[[], Any]]] = {}
        # Typer's order: the commands as registered, then the sub-apps.
        for kind, info in sorted(self.source.deferred, key=lambda d: d[0] == "group"):
            build: Callable[[], Any]
            if kind == "command":
                name = info.name or tm.get_command_name(info.callback.__name__)
                text = inspect.getdoc(info.callback) if info.help is None else info.help
                stub = _Stub(name=name, help=text, short_help=info.short_help, hidden=info.hidden)
                build = functools.partial(
                    tm.get_command_from_info,
                    info,
                    pretty_exceptions_short=short,
                    rich_markup_mode=self.rich_markup_mode,
                )
            else:
                solved = tm.solve_typer_info_defaults(info)
                name = solved.name
                stub = _Stub(
                    name=name, help=solved.help, short_help=solved.short_help, hidden=solved.hidden
                )
                build = functools.partial(
                    tm.get_group_from_info,
                    info,
                    pretty_exceptions_short=short,
                    rich_markup_mode=self.rich_markup_mode,
                    suggest_commands=self.suggest_commands,
                )
            builders[name] = (stub, build)
        self.commands = _LazyCommands(builders)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # Typer's reads .items(), which would build them all

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if self._listing and isinstance(self.commands, _LazyCommands):
            return self.commands.stub(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # Typer's own listing, reading names and help from the stubs: nothing is built.
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False


def err(message: str) -> None:
    typer.echo(message, err=True)


def handle_errors(func: F) -> F:
    """Turn domain errors into one line each on stderr and exit 1; never a traceback.

    A bad filter value is the user's typing, not the data: a usage error of its option (exit 2).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InvalidFilter as exc:
            raise typer.BadParameter(exc.message, param_hint=option_name(exc.field)) from None
        except InvalidInput as exc:
            for problem in exc.problems:
                err(str(problem))
            n = len(exc.problems)
            err(f"Error: {plural(n, 'problem')} found; nothing was written")
            raise typer.Exit(1) from None
        except MishapsError as exc:
            err(f"Error: {exc}")
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def open_database(
    ctx: typer.Context, *, create: bool = False, readonly: bool = False
) -> "Database":
    """The database of --db / $MISHAPS_DB / the default, closed when the command ends.

    Opening the default database for the first time creates it with the seed cases; that is
    said once, on stderr, so that a pipe's output stays the command's own. Commands that only
    read pass ``readonly``: they change nothing, and work on a file the user may not write.
    """
    import mishaps

    state: State = ctx.find_root().obj or State()
    db = mishaps.open(state.db, create=create, readonly=readonly)
    ctx.call_on_close(db.close)  # close pooled connections when the command ends
    if db.created is not None:
        err(f"Created the database {db.name} with {db.created.seeded} seed cases (mishaps init).")
    return db


def is_stdout(output: Path | None) -> bool:
    """No file, or ``-``: standard output, as everywhere a command names a file to write."""
    return output is None or str(output) == "-"


def write_text(output: Path | None, text: str, *, protect: Sequence[Path] = ()) -> None:
    """To stdout (no file, or ``-``), or to a file through ``files.write_output``."""
    write_bytes(output, text.encode("utf-8"), protect=protect)


def write_bytes(
    output: Path | None, data: bytes, *, what: str = "", protect: Sequence[Path] = ()
) -> None:
    """To stdout, or to a file the one safe way (``files.write_output``): never over the
    database in ``protect`` or its -wal/-shm, through symlinks, straight into FIFOs and devices,
    atomically over a regular file keeping its mode."""
    if is_stdout(output):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    from mishaps.files import write_output

    assert output is not None
    write_output(output, data, protect=protect)
    err(f"Wrote {output}{what}")


def emit(listing: "Listing", fmt: "ListFormat | str") -> None:
    """Print rows through the one output path (``mishaps.output.write``), as they are made."""
    from mishaps.output import write

    def out(text: str) -> None:
        if text:
            typer.echo(text, nl=False)

    for line in write(listing, fmt.value if isinstance(fmt, Enum) else fmt, out):
        err(line)


def confirm(question: str, *, verb: str) -> None:
    """Ask; Cancelled unless the answer is yes (and when nobody is there to answer)."""
    from mishaps.errors import Cancelled

    try:
        confirmed = typer.confirm(question, err=True)
    except typer.Abort:  # end of input: nobody there to answer
        typer.echo(err=True)
        raise Cancelled(
            f"no answer to the confirmation; nothing {verb}d (pass --yes to {verb} without asking)"
        ) from None
    if not confirmed:
        raise Cancelled(f"not confirmed; nothing {verb}d")


class ListFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class ExportFormat(str, Enum):
    yaml = "yaml"
    json = "json"
    csv = "csv"


class ShowFormat(str, Enum):
    text = "text"
    json = "json"
    yaml = "yaml"


PANEL = "Filters"
FILTER_OPTIONS: list[tuple[str, Any]] = [
    (
        "aircraft",
        Annotated[
            str | None,
            typer.Option(
                help="Aircraft type. Understands Mission Design Series: KC-135 matches"
                " KC-135A/E/R/T and NKC-135A, not EC-135; KC-135R only the R; F-15 matches F-15E."
                " A family's other names count too: A330 MRTT matches KC-30A and Voyager KC2.",
                rich_help_panel=PANEL,
                metavar="TYPE",
            ),
        ],
    ),
    (
        "role",
        Annotated[
            Role | None,
            typer.Option(
                help="Aircraft role; with --aircraft, the same aircraft must have both.",
                rich_help_panel=PANEL,
            ),
        ],
    ),
    (
        "cause",
        Annotated[
            str | None,
            typer.Option(
                help="Words in a finding's text, or an occurrence category (MAC) or HFACS"
                " code (AE1).",
                rich_help_panel=PANEL,
                metavar="TEXT",
            ),
        ],
    ),
    (
        "category",
        Annotated[
            str | None,
            typer.Option(
                help="CICTT occurrence category code or prefix (SCF matches SCF-NP and SCF-PP).",
                rich_help_panel=PANEL,
                metavar="CODE",
            ),
        ],
    ),
    (
        "hfacs",
        Annotated[
            str | None,
            typer.Option(
                help="DoD HFACS code or prefix in a finding (PC1 matches PC101..;"
                " a category such as PC100 matches its nanocodes).",
                rich_help_panel=PANEL,
                metavar="CODE",
            ),
        ],
    ),
    (
        "mishap_class",
        Annotated[
            MishapClass | None,
            typer.Option(
                "--class",
                help="DoD mishap class: the stated one, else the one derived from damage,"
                " fatalities and the thresholds in force on the date.",
                rich_help_panel=PANEL,
            ),
        ],
    ),
    (
        "fiscal_year",
        Annotated[
            int | None,
            typer.Option(
                "--fy",
                help="US federal fiscal year: --fy 2023 is 1 Oct 2022 to 30 Sep 2023. A partial"
                " date that spans two fiscal years matches neither.",
                rich_help_panel=PANEL,
                metavar="YEAR",
            ),
        ],
    ),
    (
        "since",
        Annotated[
            str | None,
            typer.Option(
                help="On or after this date (YYYY-MM-DD, YYYY-MM or YYYY).",
                rich_help_panel=PANEL,
                metavar="DATE",
            ),
        ],
    ),
    (
        "until",
        Annotated[
            str | None,
            typer.Option(
                help="On or before this date (a month or year means its last day).",
                rich_help_panel=PANEL,
                metavar="DATE",
            ),
        ],
    ),
    (
        "service",
        Annotated[
            str | None,
            typer.Option(
                help="Operating service, any case; a joint case (USAF/USN) is found by each.",
                rich_help_panel=PANEL,
                metavar="NAME",
            ),
        ],
    ),
    (
        "method",
        Annotated[
            Method | None,
            typer.Option(help="Air refueling method (unknown: not stated).", rich_help_panel=PANEL),
        ],
    ),
    (
        "phase",
        Annotated[
            Phase | None,
            typer.Option(help="Air refueling phase (unknown: not stated).", rich_help_panel=PANEL),
        ],
    ),
    (
        "mechanism",
        Annotated[
            str | None,
            typer.Option(
                help="Air refueling mechanism code: what went wrong (boom-binding, basket-strike,"
                " collision, ...; list them with: mishaps taxonomy refueling).",
                rich_help_panel=PANEL,
                metavar="CODE",
            ),
        ],
    ),
    (
        "status",
        Annotated[Status | None, typer.Option(help="Information status.", rich_help_panel=PANEL)],
    ),
    (
        "series",
        Annotated[
            str | None,
            typer.Option(
                help="Cases of this series (a recurring failure; list them with: mishaps series).",
                rich_help_panel=PANEL,
                metavar="ID",
            ),
        ],
    ),
    (
        "search",
        Annotated[
            str | None,
            typer.Option(
                help="Full text over title, summary and findings; every word must occur"
                " (boom* for a prefix).",
                rich_help_panel=PANEL,
                metavar="TEXT",
            ),
        ],
    ),
    (
        "limit",
        Annotated[
            int | None,
            typer.Option(
                min=1, help="At most this many cases.", rich_help_panel=PANEL, metavar="N"
            ),
        ],
    ),
]


def option_group(
    name: str, options: list[tuple[str, Any]], build: Callable[[dict[str, Any]], Any]
) -> Callable[[F], F]:
    """A decorator that declares ``options`` on a command and hands it one value, ``name``,
    made by ``build`` from theirs: a group of options is declared once and read one way."""

    def decorate(func: F) -> F:
        sig = inspect.signature(func)
        kept = [p for p in sig.parameters.values() if p.name != name]
        added = [
            inspect.Parameter(opt, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ann)
            for opt, ann in options
        ]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs[name] = build({opt: kwargs.pop(opt, None) for opt, _ in options})
            return func(*args, **kwargs)

        wrapper.__signature__ = sig.replace(parameters=kept + added)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {
            **{k: v for k, v in func.__annotations__.items() if k != name},
            **dict(options),
        }
        return wrapper  # type: ignore[return-value]

    return decorate


def make_filters(values: dict[str, Any]) -> Filters:
    """The options as one Filters value; a bad value is a usage error of its option."""
    try:
        return Filters(**values)
    except InvalidFilter as exc:
        raise typer.BadParameter(exc.message, param_hint=option_name(exc.field)) from None


# Add the shared filter options to a command and hand it one ``filters: Filters``: every query
# command spells its filters the same way because they are declared once, here.
filter_options = option_group("filters", FILTER_OPTIONS, make_filters)
