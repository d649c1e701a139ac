"""Reading plan text strictly: YAML without anchors or aliases, no key written twice, and
JSON or YAML nested no deeper than ``MAX_DEPTH``.

An alias lets a few kilobytes expand into millions of nodes (the "billion laughs"), which
would stall the process on publishing and slow every later run over the stored plan; a
plan never needs one. A key written twice would silently take its last value. Each is
refused with the line and the key, before anything is built from the text.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node

MAX_DEPTH = 32  # a plan's conditions nest a few levels; nothing needs more


class PlanTextError(ValueError):
    """Plan text refused before it is read: where (``line``, 1-based, and ``key``, a
    path such as ``components[0].rate``, empty for the document) and why."""

    def __init__(self, line: int | None, key: str, reason: str) -> None:
        self.line, self.key, self.reason = line, key, reason
        super().__init__(f"line {line}: {reason}" if line else reason)


class _StrictLoader(yaml.BaseLoader):
    """BaseLoader (every scalar stays text) that refuses aliases, anchors, duplicate
    keys and deep nesting."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._path: list[str] = []

    def _where(self) -> str:
        return "".join(self._path).lstrip(".")

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if isinstance(parent, MappingNode):  # index: the key's node; None for the key
            self._path.append("" if index is None else f".{getattr(index, 'value', '')}")
        else:
            self._path.append("" if parent is None else f"[{index}]")
        try:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            line = event.start_mark.line + 1
            if self.check_event(AliasEvent) or getattr(event, "anchor", None) is not None:
                raise PlanTextError(
                    line, self._where(), "anchors and aliases (& and *) are refused"
                )
            if len(self._path) > MAX_DEPTH:
                raise PlanTextError(line, self._where(), f"nests deeper than {MAX_DEPTH} levels")
            node = super().compose_node(parent, index)
            if isinstance(node, MappingNode):
                self._unique_keys(node)
            return node
        finally:
            self._path.pop()

    def _unique_keys(self, node: MappingNode) -> None:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                where = f"{self._where()}.{key}".lstrip(".")
                raise PlanTextError(
                    line, where, f"key '{key}' is written twice (first on line {seen[key]})"
                )
            seen[key] = line


def _depth_of(value: Any) -> int:
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise PlanTextError(None, key, f"key '{key}' is written twice")
        found[key] = value
    return found


def parse_text(text: str, suffix: str) -> Any:
    """Parse plan text (JSON if ``suffix`` is .json, else YAML); every scalar stays a
    string. Raises PlanTextError (or yaml.YAMLError, json.JSONDecodeError)."""
    if suffix == ".json":
        try:
            raw = json.loads(text, parse_float=str, parse_int=str, object_pairs_hook=_unique)
        except RecursionError:
            raw = None
            deep = True
        else:
            deep = _depth_of(raw) > MAX_DEPTH
        if deep:
            raise PlanTextError(None, "", f"nests deeper than {MAX_DEPTH} levels")
        return raw
    loader = _StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
