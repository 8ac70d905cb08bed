"""The Typer app and its commands: help and usage errors in the user's words, and commands
(and the modules that define them) loaded only when one is looked up.

Kept apart from ``cli.common`` (filters, errors, vocabularies): `mishaps --help` imports this
and the command registry, nothing else of ours (issue 16).
"""

import functools
import importlib
import inspect
import re
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import typer
import typer.core
from typer.core import TyperArgument, TyperCommand, TyperOption

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
    docstrings.

    ``registry`` names commands defined in other modules, each as (name, module, the first
    paragraph of its help): the help lists them, and a module is imported, and its
    ``register(app)`` called, when one of its commands is looked up. Importing every noun's
    module was a third of `mishaps --help` beyond `import typer` (issue 16)."""

    def __init__(
        self, *args: Any, registry: Sequence[tuple[str, str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.deferred: list[tuple[str, Any]] = []  # ("command" | "group", Typer's info), in order
        self.registry = tuple(registry)
        self.loaded: set[str] = set()  # the registry's modules registered so far
        self.info.cls = type("LazyGroup", (LazyGroup,), {"source": self})

    def load(self, module: str) -> None:
        """Import a registry module and register its commands here, once."""
        if module not in self.loaded:
            importlib.import_module(module).register(self)
            self.loaded.add(module)

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
        source = self.source
        builders: dict[str, tuple[_Stub, Callable[[], Any]]] = {}
        for name, module, text in source.registry:  # in the registry's order, not imported
            builders[name] = (
                _Stub(name=name, help=text),
                functools.partial(self._load, name, module),
            )
        # Typer's order: the commands as registered, then the sub-apps.
        for kind, info in sorted(source.deferred, key=lambda d: d[0] == "group"):
            name, stub, build = self._builder(kind, info)
            builders.setdefault(name, (stub, build))
        self.commands = _LazyCommands(builders)

    def _builder(self, kind: str, info: Any) -> tuple[str, _Stub, Callable[[], Any]]:
        """A deferred command's or sub-app's name, the stub the help lists, and its builder."""
        import typer.main as tm

        short = self.source.pretty_exceptions_short
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
            return name, stub, build
        solved = tm.solve_typer_info_defaults(info)
        stub = _Stub(
            name=solved.name, help=solved.help, short_help=solved.short_help, hidden=solved.hidden
        )
        build = functools.partial(
            tm.get_group_from_info,
            info,
            pretty_exceptions_short=short,
            rich_markup_mode=self.rich_markup_mode,
            suggest_commands=self.suggest_commands,
        )
        return str(solved.name), stub, build

    def _load(self, name: str, module: str) -> Any:
        """A registry command: its module registered, then built as any deferred one."""
        self.source.load(module)
        for kind, info in self.source.deferred:
            found, _, build = self._builder(kind, info)
            if found == name:
                return build()
        raise LookupError(f"{module} registers no command {name!r} (see the registry)")

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
