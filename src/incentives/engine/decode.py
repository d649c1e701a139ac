"""Decode already-parsed plan data (dicts, lists, strings) into plan models.

Unlike a plain ``msgspec.convert``, which stops at the first error, this walks the
model's types and reports every structural problem with its path, then runs the
semantic checks on every part without one (the plan's settings, each measure, each
component), so that both kinds of problem are reported in one pass. Scalars may arrive
as strings (plan files are read without implicit typing so that ``0.1`` stays exactly
``0.1``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import msgspec

from incentives.bounds import is_bounded
from incentives.engine.plan import (
    OTHER_PLAN_KINDS,
    PLAN_KINDS,
    CommissionPlan,
    Component,
    Level,
    Measure,
    Percent,
    decode_hook,
)
from incentives.engine.validate import (
    PlanParts,
    Problem,
    validate_commission_plan,
    validate_parts,
)

Plan = CommissionPlan

_FRIENDLY: dict[Any, str] = {
    int: "a whole number",
    Decimal: "a number",
    dt.date: "a date (YYYY-MM-DD)",
    bool: "true or false",
    str: "text",
}


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _collect_struct(value: Any, tp: type[msgspec.Struct], path: str, out: list[Problem]) -> None:
    if not isinstance(value, dict):
        out.append(Problem(path, "expected a mapping of keys to values"))
        return
    config = tp.__struct_config__
    fields = msgspec.structs.fields(tp)
    known = {f.encode_name: f for f in fields}
    for key in value:
        if key == config.tag_field or key in known:
            continue
        hint = difflib.get_close_matches(str(key), list(known), n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        out.append(Problem(_join(path, str(key)), f"unknown key{suggestion}"))
    for field in fields:
        if field.encode_name in value:
            _collect(value[field.encode_name], field.type, _join(path, field.encode_name), out)
        elif field.required:
            out.append(Problem(_join(path, field.encode_name), "missing"))


def _collect_tagged(
    value: Any, choices: list[type[msgspec.Struct]], path: str, out: list[Problem]
) -> None:
    tag_field = str(choices[0].__struct_config__.tag_field)
    by_tag = {str(c.__struct_config__.tag): c for c in choices}
    if not isinstance(value, dict):
        out.append(Problem(path, "expected a mapping of keys to values"))
        return
    tag = value.get(tag_field)
    if tag not in by_tag:
        expected = ", ".join(by_tag)
        out.append(Problem(_join(path, tag_field), f"must be one of: {expected} (got {tag!r})"))
        return
    _collect_struct(value, by_tag[tag], path, out)


def _collect(value: Any, tp: Any, path: str, out: list[Problem]) -> None:
    """Append every problem of ``value`` against type ``tp`` to ``out``."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None and len(args) < len(get_args(tp)):
            return
        if len(args) > 1:
            _collect_tagged(value, args, path, out)
        else:
            _collect(value, args[0], path, out)
    elif _is_struct(tp):
        _collect_struct(value, tp, path, out)
    elif origin is list:
        if not isinstance(value, list):
            out.append(Problem(path, "expected a list"))
            return
        for index, item in enumerate(value):
            _collect(item, get_args(tp)[0], f"{path}[{index}]", out)
    elif origin is Literal:
        if value not in get_args(tp):
            expected = ", ".join(str(a) for a in get_args(tp))
            out.append(Problem(path, f"must be one of: {expected} (got {value!r})"))
    else:
        _collect_leaf(value, tp, path, out)


def _convert(value: Any, tp: Any) -> Any:
    return msgspec.convert(value, tp, strict=False, dec_hook=decode_hook)


def _collect_leaf(value: Any, tp: Any, path: str, out: list[Problem]) -> None:
    try:
        _convert(value, tp)
    except msgspec.ValidationError as exc:
        out.append(Problem(path, _why(value, tp, exc)))


def _why(value: Any, tp: Any, exc: msgspec.ValidationError) -> str:
    """What is wrong with a leaf: its bound if the type is right, else the type."""
    message = str(exc).split(" - at `", 1)[0]
    if tp in (Percent, Level) or is_bounded(tp):
        return message
    base = get_args(tp)[0] if get_origin(tp) is Annotated else tp
    if base is not tp:
        try:
            _convert(value, base)
        except msgspec.ValidationError:
            pass
        else:
            return message
    return f"expected {_FRIENDLY.get(base, base)}, got {value!r}"


S = TypeVar("S", bound=msgspec.Struct)


def decode_as(raw: Any, tp: type[S]) -> tuple[S | None, list[Problem]]:
    """Decode parsed data as any plan-file model ``tp``: the value, or None and every
    problem of form (unknown keys, wrong types, missing fields), each with its path."""
    problems: list[Problem] = []
    _collect(raw, tp, "", problems)
    return (None, problems) if problems else (_convert(raw, tp), [])


def decode_plan(raw: Any) -> tuple[Plan | None, list[Problem]]:
    """Decode a parsed plan document; returns the plan (or None) and all its problems."""
    if not isinstance(raw, dict):
        return None, [Problem("", "a plan file must be a mapping of keys to values")]
    kind = raw.get("kind")
    if kind in OTHER_PLAN_KINDS:
        message = f"{kind} files are not commission plans; only commission plans pay"
        return None, [Problem("kind", message)]
    if kind not in PLAN_KINDS:
        message = f"must be one of: {', '.join(PLAN_KINDS)} (got {kind!r})"
        return None, [Problem("kind", message)]
    problems: list[Problem] = []
    _collect(raw, CommissionPlan, "", problems)
    if problems:
        return None, problems + validate_parts(_clean_parts(raw, problems))
    plan = _convert(raw, CommissionPlan)
    problems = validate_commission_plan(plan)
    return (None if problems else plan), problems


_LISTS = ("measures", "components")


def _clean_parts(raw: dict[str, Any], problems: list[Problem]) -> PlanParts:
    """The parts of a plan with type ``problems`` that have none, decoded."""

    def clean(path: str) -> bool:
        inside = (f"{path}.", f"{path}[")
        return not any(p.path == path or p.path.startswith(inside) for p in problems)

    def items(name: str, tp: Any) -> list[Any] | None:
        if any(p.path == name for p in problems):  # missing, or not a list
            return None
        return [_convert(v, tp) if clean(f"{name}[{i}]") else None for i, v in enumerate(raw[name])]

    settings = None
    if all(re.split(r"[.\[]", p.path, maxsplit=1)[0] in _LISTS for p in problems):
        settings = _convert({**raw, "measures": [], "components": []}, CommissionPlan)
    return PlanParts(settings, items("measures", Measure), items("components", Component))
