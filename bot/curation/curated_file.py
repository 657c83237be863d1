"""Adding to the curators' file as text, so that what a curator wrote there by hand
(comments, order, layout) stays as it was.

Curation only ever appends: new entries at the end of ``entries``, new phrasings at the end
of an entry's list under ``phrasings``. ``edited_text`` writes just those additions into the
old text, next to what they extend, and checks that the result reads back as exactly the
new content; when the change is anything else, or the file's shape does not allow it (a
flow-style mapping, say), it returns None and the caller rewrites the whole file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

OLD_HEADER_LINE = "# are not kept when the tools rewrite the file.\n"
NEW_HEADER_LINE = "# are kept when the tools add to the file.\n"

Insertion = tuple[int, str]  # (0-based line the text goes before, the text)


def text_with(path: Path, new: dict[str, Any], rewrite: Callable[[dict[str, Any]], str]) -> str:
    """The text of the curated file at ``path`` with the content ``new``: the file edited in
    place when it exists and that can be done, else ``rewrite(new)``."""
    previous = path.read_text(encoding="utf-8") if path.exists() else None
    edited = edited_text(previous, new) if previous is not None else None
    return edited if edited is not None else rewrite(new)


def edited_text(previous: str, new: dict[str, Any]) -> str | None:
    """``previous`` with what ``new`` adds to it, or None if that cannot be done in place."""
    try:
        old = yaml.safe_load(previous)
        root = yaml.compose(previous, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if old is None:  # nothing but comments yet
        old, root = {}, yaml.MappingNode("tag:yaml.org,2002:map", [])
    if not isinstance(old, dict) or not isinstance(root, yaml.MappingNode) or root.flow_style:
        return None
    lines = previous.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    insertions = _insertions(old, new, root, lines)
    if insertions is None:
        return None
    # From the bottom up, so that each line number still points where it did; two
    # insertions at one line keep their order.
    for at, text in reversed(sorted(insertions, key=lambda insertion: insertion[0])):
        lines[at:at] = [text]
    result = "".join(lines).replace(OLD_HEADER_LINE, NEW_HEADER_LINE, 1)
    try:
        if _meaningful(yaml.safe_load(result)) != _meaningful(new):
            return None
    except yaml.YAMLError:
        return None
    return result


def _meaningful(data: Any) -> dict[str, Any]:
    """Top-level keys with a value: an empty ``phrasings: {}`` says nothing."""
    return {key: value for key, value in data.items() if value} if isinstance(data, dict) else {}


def _insertions(
    old: dict[str, Any], new: dict[str, Any], root: yaml.MappingNode, lines: list[str]
) -> list[Insertion] | None:
    """Where each addition goes; None if ``new`` is not ``old`` plus additions."""
    old, new = _meaningful(old), _meaningful(new)
    if {k: v for k, v in old.items() if k not in ("entries", "phrasings")} != {
        k: v for k, v in new.items() if k not in ("entries", "phrasings")
    }:
        return None
    nodes = {key.value: value for key, value in root.value if isinstance(key, yaml.ScalarNode)}
    insertions: list[Insertion] = []
    for key in ("phrasings", "entries"):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if before is None:
            if key in nodes:  # an empty value: a second key would be a duplicate
                return None
            # a key the file does not have yet: at the end, as the tools would write it
            insertions.append((len(lines), _dump({key: after}, 0)))
            continue
        found = _added(nodes[key], before, after, lines)
        if found is None:
            return None
        insertions += found
    return insertions


def _added(node: yaml.Node, before: Any, after: Any, lines: list[str]) -> list[Insertion] | None:
    """The insertions that turn ``before`` (written as ``node``) into ``after``."""
    if isinstance(before, list) and isinstance(after, list):
        if after[: len(before)] != before or not isinstance(node, yaml.SequenceNode):
            return None
        return _append_items(node, after[len(before) :], lines)
    if isinstance(before, dict) and isinstance(after, dict):
        if not isinstance(node, yaml.MappingNode) or node.flow_style or not node.value:
            return None
        if any(key not in after for key in before) or list(after)[: len(before)] != list(before):
            return None
        values = {key.value: value for key, value in node.value}
        insertions: list[Insertion] = []
        for key, items in after.items():
            if key not in before:
                column = node.value[0][0].start_mark.column
                insertions.append((_line_after(node, lines), _dump({key: items}, column)))
            elif items != before[key]:
                found = _added(values[key], before[key], items, lines)
                if found is None:
                    return None
                insertions += found
        return insertions
    return None


def _append_items(
    node: yaml.SequenceNode, items: list[Any], lines: list[str]
) -> list[Insertion] | None:
    if node.flow_style or not node.value:
        return None
    first = node.value[0].start_mark
    dash = lines[first.line].rfind("- ", 0, first.column)
    if dash < 0:
        return None
    return [(_line_after(node, lines), _dump(items, dash))]


def _line_after(node: yaml.Node, lines: list[str]) -> int:
    """The line after ``node``'s last content (comments after it stay after it)."""
    while isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    end = node.end_mark
    return min(end.line + 1 if end.column > 0 else end.line, len(lines))


def _dump(data: Any, indent: int) -> str:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return "".join(" " * indent + line for line in text.splitlines(keepends=True))
