"""Whether recorded examples fit the API's description: one for every operation and none
for an operation it no longer has, each request body and answer valid for the schema its
operation documents, and no token among them.

The schemas are read as closed (an object may hold only the properties its schema names):
Litestar's are open, so a field renamed or dropped since the recording would otherwise
pass unseen. Needs the dev extras (jsonschema-rs).
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import msgspec

from incentives.api.examples import Example, Recorded, essence
from incentives.auth.tokens import PREFIX
from incentives.webhooks import signing

# A bearer token as ``auth.tokens`` makes them (its prefix and 32 random bytes, encoded),
# or a webhook's signing secret as ``webhooks.signing`` does.
TOKEN = re.compile(
    re.escape(PREFIX) + r"[A-Za-z0-9_-]{20,}|" + re.escape(signing.PREFIX) + r"[A-Za-z0-9+/=]{20,}"
)


# Keywords whose value is data, not a schema, and those whose value names schemas.
_DATA = frozenset({"default", "enum", "const", "example", "examples"})
_NAMING = frozenset({"properties", "patternProperties", "$defs"})


def closed(schema: Any) -> Any:
    """``schema`` with every object schema that names its properties closed to others."""
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    found: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DATA:
            found[key] = value
        elif key in _NAMING:
            found[key] = {name: closed(item) for name, item in value.items()}
        else:
            found[key] = closed(value)
    if "properties" in found and "additionalProperties" not in found:
        found["additionalProperties"] = False
    return found


def operations(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every operation of the description by ``"METHOD /path"``."""
    return {
        f"{method.upper()} {path}": operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


class _Validating:
    """Validation of values against the description's schemas, its components resolved."""

    def __init__(self, schema: dict[str, Any]) -> None:
        schemas = schema.get("components", {}).get("schemas", {})
        self.components = {"schemas": {name: closed(item) for name, item in schemas.items()}}

    def errors(self, where: str, schema: dict[str, Any], value: Any) -> list[str]:
        """What is wrong with ``value`` for ``schema``, each naming ``where`` and the place."""
        document = {**closed(schema), "components": self.components}
        validator = jsonschema_rs.Draft202012Validator(document)
        return [
            f"{where} at /{'/'.join(map(str, error.instance_path))}: {error.message}"
            for error in validator.iter_errors(value)
        ]


def _media(content: dict[str, Any], media_type: str) -> dict[str, Any] | None:
    return next((m for t, m in content.items() if essence(t) == media_type), None)


def _problems_of(
    key: str, operation: dict[str, Any], example: Example, validating: _Validating
) -> list[str]:
    found = []
    body = operation.get("requestBody")
    if body is None and example.request is not None:
        found.append(f"{key}: a request example, but the operation takes no body")
    elif body is not None and example.request is None:
        found.append(f"{key}: no request example")
    elif body is not None:
        media = _media(body["content"], "application/json")
        if media is None:
            found.append(f"{key}: the request body is not documented as JSON")
        else:
            found += validating.errors(f"{key} request", media["schema"], example.request)
    answer = operation["responses"].get(str(example.status))
    if answer is None or not 200 <= example.status < 300:
        return [*found, f"{key}: {example.status} is no success it documents"]
    if example.media_type is None:
        if answer.get("content") or example.answer is not None:
            return [*found, f"{key}: answered without content, which it does not document"]
        return found
    media = _media(answer.get("content", {}), example.media_type)
    if media is None:
        return [*found, f"{key}: answered {example.media_type}, which it does not document"]
    return found + validating.errors(f"{key} answer", media["schema"], example.answer)


def problems(schema: dict[str, Any], examples: Recorded) -> list[str]:
    """What keeps ``examples`` from fitting the description ``schema`` (none: they fit)."""
    documented = operations(schema)
    found = [f"{key}: no example" for key in sorted(documented.keys() - examples.operations)]
    found += [
        f"{key}: no such operation" for key in sorted(examples.operations.keys() - documented)
    ]
    validating = _Validating(schema)
    for key, example in examples.operations.items():
        if key in documented:
            found += _problems_of(key, documented[key], example, validating)
    return found


def secrets_in(examples: Recorded) -> list[str]:
    """The operations whose examples hold something like a bearer token or a signing
    secret."""
    return [
        key
        for key, example in examples.operations.items()
        if TOKEN.search(msgspec.json.encode(example).decode())
    ]
