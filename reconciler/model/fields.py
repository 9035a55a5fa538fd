"""What the reconciler knows about ContactNow record fields: which are personal, which are phones, which the
dialler owns."""

from __future__ import annotations

PHONE_FIELDS: frozenset[str] = frozenset({"HomePhone", "WorkPhone", "MobilePhone"})
"""A record needs at least one of these."""

PERSONAL_FIELDS: frozenset[str] = frozenset(
    {
        "Title",
        "FirstName",
        "LastName",
        "Address1",
        "Address2",
        "Address3",
        "Address4",
        "Address5",
        "Address6",
        "Postcode",
        "HomePhone",
        "WorkPhone",
        "MobilePhone",
        "Customer_Email",
        "notes",
        "Call_Back_Notes",
        "phone-list",
    }
)
"""Fields whose values are masked in plans, reports, logs and errors unless values are asked for."""

TEXT_ONLY_FIELDS: frozenset[str] = PHONE_FIELDS | {"Postcode"}
"""Fields whose values must be written as quoted text in YAML (a number would lose a leading 0 or the +)."""

VENDOR_OWNED_FIELDS: frozenset[str] = frozenset(
    {
        "id",
        "URN",
        "datasetid",
        "ProcessType",
        "ProcessDate",
        "loaddate",
        "sourcefile",
        "flgid",
        "notes",
        "outcomecode",
    }
)
"""Fields the dialler writes. A manifest may not manage them, and their changes are churn, never config drift."""

STANDARD_RECORD_FIELDS: tuple[str, ...] = (
    "id",
    "URN",
    "VENDOR_URN",
    "datasetid",
    "Title",
    "FirstName",
    "LastName",
    "Address1",
    "Address2",
    "Address3",
    "Address4",
    "Address5",
    "Address6",
    "Postcode",
    "HomePhone",
    "WorkPhone",
    "MobilePhone",
    "Customer_Email",
    "callback",
    "Call_Back_Notes",
    "Call_Back_Sametime",
    "AgentRef",
    "Agent_Specific",
    "appointment",
    "outcomecode",
    "ProcessType",
    "ProcessDate",
    "notes",
    "loaddate",
    "sourcefile",
    "flgid",
)
"""The standard fields of every ContactNow campaign table, in the vendor's documented order."""


def is_personal(field: str) -> bool:
    """True when a field's values must be masked (matching is case-insensitive, as the vendor's is)."""
    return field.casefold() in _PERSONAL_FOLDED


_PERSONAL_FOLDED = frozenset(name.casefold() for name in PERSONAL_FIELDS)


PHONE_NOISE = r"[ ()./-]"
"""What may separate the digits of a phone number (spaces, brackets, dots, slashes, dashes): the one definition,
used to validate sources and to normalise both sides before they are compared."""
