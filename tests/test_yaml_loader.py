"""The YAML reader runs on libyaml (C) where it can: same data, same lines, same refusals."""

from pathlib import Path

import pytest
import yaml

from mishaps import files
from mishaps.config import seed_dir

SEED_FILES = sorted(seed_dir().glob("*.yaml"))


def _python_parse(text: str):
    loader = files._Loader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    lines: dict = {}
    return files._Converter(loader, lines).convert(node, ()), lines


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML was built without libyaml")
def test_fast_loader_is_libyaml() -> None:
    assert issubclass(files._FastLoader, yaml.CSafeLoader)


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_c_and_python_loaders_agree_on_data_and_lines(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert files._parse_yaml(text) == _python_parse(text)


def test_scalars_resolve_as_the_format_says() -> None:
    data, _ = files._parse_yaml(
        "a: 2013-05-03\nb: NO\nc: yes\nd: true\ne: 1.5\nf: 3\ng: null\nh: R&D, Air & Space\n"
    )
    assert data == {
        "a": "2013-05-03",
        "b": "NO",
        "c": "yes",
        "d": True,
        "e": 1.5,
        "f": 3,
        "g": None,
        "h": "R&D, Air & Space",
    }


@pytest.mark.parametrize(
    "text, line",
    [
        ("a: &x [1, 2]\nb: *x\n", 2),
        ("a: {k: &x v}\nb:\n  - *x\n", 3),
    ],
)
def test_aliases_are_refused_at_their_line(text: str, line: int) -> None:
    with pytest.raises(files._Refused) as info:
        files._parse_yaml(text)
    assert str(info.value) == "YAML aliases (*name) are not allowed"
    assert info.value.line == line


def test_the_c_path_refuses_an_alias_it_is_handed() -> None:
    # The anchor test sends such files to the Python loader; the converter still refuses a node
    # met twice, so the C path can never expand an alias.
    loader = files._FastLoader("a: &x [1]\nb: *x\n")
    node = loader.get_single_node()
    loader.dispose()
    with pytest.raises(files._Refused, match="aliases"):
        files._Converter(loader, {}).convert(node, ())


def test_control_characters_are_refused_with_their_line() -> None:
    with pytest.raises(files._Refused) as info:
        files._parse_yaml("a: 1\nb: x\x07y\n")
    assert str(info.value) == "not valid YAML: character #x0007 is not allowed"
    assert info.value.line == 2
