"""The pieces every manifest kind's pydantic models are built from, and the rule they follow.

Every model forbids unknown fields and is frozen. Values arrive as text (see yaml_loader); pydantic's lax mode
turns text into int or bool where a field wants one. Field names in YAML are camelCase (`maxPercent`), except
`customer-id`, which keeps the vendor's spelling. A kind's own document model lives in its kind module
(reconciler/kinds/); reconciler.yaml's models are in project_file.py.

Validators raise `invalid(...)`: a PydanticCustomError whose context carries the reason and the remedy, which
validation.py turns into a Problem at the right line.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

API_VERSION = "reconciler/v1"

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
FIELD_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
CUSTOMER_ID_PATTERN = r"^[0-9]{1,20}$"


def invalid(what: str, remedy: str = "", *, echo: bool = True) -> PydanticCustomError:
    """A validation error with our wording: `<field> "<value>" <what> (<remedy>)`; echo=False hides the value."""
    return PydanticCustomError("reconciler", "{what}", {"what": what, "remedy": remedy, "echo": echo})


class SpecModel(BaseModel):
    """The base of every manifest model: unknown fields refused, frozen, camelCase names in YAML."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
        hide_input_in_errors=False,
    )


def matches(regex: str, what: str, remedy: str) -> AfterValidator:
    """A validator that refuses text not matching `regex` with our wording."""
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if compiled.fullmatch(value) is None:
            raise invalid(what, remedy)
        return value

    return AfterValidator(check)


def text_schema(regex: str, description: str) -> WithJsonSchema:
    schema: dict[str, Any] = {"type": "string", "pattern": regex, "description": description}
    return WithJsonSchema(schema)


Name = Annotated[
    str,
    matches(
        NAME_PATTERN,
        "is not a valid name",
        "use 1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
    text_schema(
        NAME_PATTERN, "1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"
    ),
]
FieldName = Annotated[
    str,
    matches(
        FIELD_NAME_PATTERN,
        "is not a field name",
        "use the field's name as ContactNow spells it, e.g. MobilePhone or VENDOR_URN",
    ),
    text_schema(
        FIELD_NAME_PATTERN,
        "A ContactNow record field, e.g. MobilePhone, VENDOR_URN or a custom field of the campaign table",
    ),
]
EnvName = Annotated[
    str,
    matches(
        ENV_NAME_PATTERN,
        "is not an environment variable name",
        "name the variable that holds the secret, e.g. CONTACTNOW_PASSWORD; never the secret itself",
    ),
    text_schema(ENV_NAME_PATTERN, "The NAME of an environment variable (never its value)"),
]
NonEmptyText = Annotated[str, Field(min_length=1)]


class Metadata(SpecModel):
    """Identity of a document: `Kind/name` is its address in plans and errors."""

    name: Name


class GuardsSpec(SpecModel):
    """Mass-change limits. Unset values fall back to the project's guards, then to the built-in defaults."""

    max_percent: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Refuse a plan that completes or removes more than this percentage of live rows",
    )
    min_rows: int | None = Field(
        default=None,
        ge=0,
        description="The percentage limit applies only when the resource has at least this many live rows",
    )


def check_one_source(source: str | None, inline: object, inline_name: str) -> None:
    """A spec takes its rows from a file (`source`) or inline (`inline_name`), never both or neither."""
    if source is not None and inline is not None:
        raise invalid(
            f"has both source and {inline_name}",
            f"keep one: source for a file, or {inline_name} written inline",
            echo=False,
        )
    if source is None and inline is None:
        raise invalid(
            f"has neither source nor {inline_name}",
            f"add source: <file.csv> or {inline_name}: [...]",
            echo=False,
        )
