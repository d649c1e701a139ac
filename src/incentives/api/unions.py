"""Tagged unions of msgspec Structs in the OpenAPI: ``oneOf`` with a discriminator; and
the bounded decimals of ``incentives.bounds``, by their pattern.

Litestar documents a union of Structs as a bare ``oneOf``: a client generator then has
to try each shape in turn, and a reader is not told which field tells them apart. msgspec
decodes such a union by its tag field alone, so the description says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from litestar.openapi.spec import Discriminator, OpenAPIType, Reference, Schema
from litestar.params import KwargDefinition
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from incentives.bounds import BoundedDecimal, is_bounded

if TYPE_CHECKING:  # Litestar's own plugins name it from there too
    from litestar._openapi.schema_generation import SchemaCreator


def _tag_field(member: Any) -> str | None:
    """The tag field of a tagged Struct type, else None."""
    if not (isinstance(member, type) and issubclass(member, msgspec.Struct)):
        return None
    field: str | None = member.__struct_config__.tag_field
    return field


class TaggedUnionSchema(OpenAPISchemaPlugin):
    """Documents a union of Structs tagged on one field as ``oneOf`` + ``discriminator``."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        """A union whose every member is a Struct tagged on the same field."""
        if not field_definition.is_union:
            return False
        fields = {_tag_field(inner.annotation) for inner in field_definition.inner_types}
        return len(fields) == 1 and None not in fields

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        """Each member by reference, and its tag mapped to that reference."""
        members = [inner.annotation for inner in field_definition.inner_types]
        # Each member's component named by its class alone, so that the mapping, made
        # now, names the component as served (Litestar names the others at the end).
        refs = [
            schema_creator.for_field_definition(
                FieldDefinition.from_annotation(
                    member, kwarg_definition=KwargDefinition(schema_component_key=member.__name__)
                )
            )
            for member in members
        ]
        mapping = {
            str(member.__struct_config__.tag): ref.ref
            for member, ref in zip(members, refs, strict=True)
            if isinstance(ref, Reference)
        }
        tag_field = _tag_field(members[0])
        assert tag_field is not None  # guaranteed by is_plugin_supported_field
        return Schema(
            one_of=refs, discriminator=Discriminator(property_name=tag_field, mapping=mapping)
        )


class BoundedNumberSchema(OpenAPISchemaPlugin):
    """Documents a bounded decimal (``incentives.bounds``) by its pattern and bound."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        """A field of one of the bounded decimal types."""
        return is_bounded(field_definition.annotation)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        """A string of the bound's pattern, or a JSON number."""
        bound: type[BoundedDecimal] = field_definition.annotation
        return Schema(
            any_of=[
                Schema(type=OpenAPIType.STRING, pattern=bound.pattern()),
                Schema(type=OpenAPIType.NUMBER),
            ],
            description=bound.rule().capitalize(),
        )
