"""The ingest operation as served: one documented operation per kind of item.

The route takes ``{kind}`` and free items, so that a batch's every bad item can be
listed in one 422 (a typed body would stop at the first bad field). Its description
would then say nothing of what an item holds; so the served schema lists
``POST /api/v1/ingest/deals``, ``…/participants`` and the others, each with its item's
schema, in place of the one operation on ``{kind}``. The route serves each of them.
"""

from __future__ import annotations

import copy
from typing import Any

import msgspec

from incentives.bounds import schema_hook
from incentives.ingest.items import KINDS, Kind

TEMPLATE = "/api/v1/ingest/{kind}"
REF = "#/components/schemas/{name}"


def path_of(kind: Kind) -> str:
    """The documented path of ``kind``'s batches."""
    return TEMPLATE.format(kind=kind.value)


def _batch(item: type[Any], most: int) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items"],
        "additionalProperties": False,
        "properties": {
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": most,
                "items": {"$ref": REF.format(name=item.__name__)},
            }
        },
    }


def _most(schema: dict[str, Any], generic: dict[str, Any]) -> int:
    """The route's own bound on items per batch, from the schema of its free batch."""
    body = next(iter(generic["requestBody"]["content"].values()))["schema"]
    name = body["$ref"].rsplit("/", 1)[-1]
    most: int = schema["components"]["schemas"].pop(name)["properties"]["items"]["maxItems"]
    return most


def per_kind(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the operation on ``{kind}`` replaced by one per kind, each with its
    item's schema. Changes ``schema`` in place."""
    paths = schema.get("paths", {})
    generic = paths.get(TEMPLATE, {}).get("post")
    if generic is None:
        return schema
    most = _most(schema, generic)
    _, components = msgspec.json.schema_components(
        KINDS.values(), schema_hook=schema_hook, ref_template=REF
    )
    schema["components"]["schemas"].update(components)
    typed: dict[str, Any] = {}
    for kind in Kind:
        operation = copy.deepcopy(generic)
        operation["operationId"] = f"{generic.get('operationId', 'Ingest')}{kind.name.title()}"
        operation["summary"] = f"Upsert a batch of {kind.value.replace('_', ' ')}"
        operation["parameters"] = [
            p for p in operation.get("parameters", []) if p.get("name") != "kind"
        ]
        for media in operation["requestBody"]["content"].values():
            media["schema"] = _batch(KINDS[kind], most)
        typed[path_of(kind)] = {"post": operation}
    # In the generic operation's place, so that the docs list them where it was.
    listed: dict[str, Any] = {}
    for path, item in paths.items():
        listed.update(typed if path == TEMPLATE else {path: item})
    schema["paths"] = listed
    return schema
