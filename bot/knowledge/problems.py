"""Problems in the project's files, each with its file and line, and reading YAML so that
any file that cannot be parsed (bad syntax, a NUL or other control character, bad UTF-8)
becomes such a problem rather than a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

LINE = "__line__"  # the key under which each mapping read by read_yaml keeps its line


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    entry: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return (
            f"{where}: {self.entry}: {self.message}" if self.entry else f"{where}: {self.message}"
        )


class KnowledgeError(Exception):
    """The knowledge files have problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# libyaml's parser when PyYAML has it (it does in every wheel): several times faster, and
# it still reports the line of every node.
if TYPE_CHECKING:
    from yaml import SafeLoader as _BaseLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):
    """Records each mapping's line and refuses duplicate keys instead of overwriting."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        mapping = super().construct_mapping(node, deep=True)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


def _yaml_problem(text: str, display: str, error: yaml.YAMLError) -> Problem:
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        return Problem(display, line, None, f"not valid YAML: {error.problem}")
    if isinstance(error, yaml.reader.ReaderError):
        # A character YAML refuses (NUL, ESC, other control characters): say which one,
        # and where, without echoing it to the terminal. libyaml counts the position in
        # bytes, so find the character itself (the parser stops at its first occurrence).
        character = error.character if isinstance(error.character, int) else 0
        at = text.find(chr(character))
        line = text.count("\n", 0, at) + 1 if at >= 0 else 1
        return Problem(display, line, None, f"character U+{character:04X} is not allowed")
    return Problem(display, 1, None, f"not valid YAML: {error}")


def _read_text(path: Path, display: str, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(display, 1, None, f"cannot be read: {error}"))
        return None


def read_yaml(path: Path, display: str, problems: list[Problem]) -> dict[str, Any] | None:
    """Parse a YAML file into a mapping whose mappings carry their LINE, or record in
    ``problems`` why it cannot be."""
    text = _read_text(path, display, problems)
    if text is None:
        return None
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as error:
        problems.append(_yaml_problem(text, display, error))
        return None
    if data is None:
        return {LINE: 1}
    if not isinstance(data, dict):
        problems.append(Problem(display, 1, None, "must be a mapping at the top level"))
        return None
    return data


def read_plain_yaml(path: Path, display: str) -> Any:
    """Parse a YAML file as it is (no LINE keys); KnowledgeError if it cannot be."""
    problems: list[Problem] = []
    text = _read_text(path, display, problems)
    if text is not None:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            problems.append(_yaml_problem(text, display, error))
    raise KnowledgeError(problems)
