"""ContactNow campaign-table fields: the standard fields every table has, and field metadata rows.

A campaign table's fields are the standard ones below (positions 1..31, in this order) followed by its custom
fields. `cn_fields` holds one row per field; `campaign_fields` reads serve them.
"""

from __future__ import annotations

from dataclasses import dataclass

EMPTY_DATE = "0000-00-00 00:00:00"

PHONE_FIELDS = ("HomePhone", "WorkPhone", "MobilePhone")


@dataclass(frozen=True)
class FieldDef:
    """One field of a campaign table, as `campaign_fields` describes it."""

    name: str
    type: str
    size: int
    group_name: str
    standard: bool = True
    readonly: str = "N"
    search: str = "N"
    hidden: str = "N"
    default: str = ""
    """Value a new record gets when the row does not set it."""


STANDARD_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("id", "int", 200, "system", readonly="Y", search="yes"),
    FieldDef("URN", "varchar", 50, "system", search="Y"),
    FieldDef("VENDOR_URN", "varchar", 50, "system", search="Y"),
    FieldDef("datasetid", "int", 11, "system", readonly="Y"),
    FieldDef("Title", "varchar", 20, "Name and Address"),
    FieldDef("FirstName", "varchar", 50, "Name and Address", search="Y"),
    FieldDef("LastName", "varchar", 50, "Name and Address", search="Y"),
    FieldDef("Address1", "varchar", 100, "Name and Address"),
    FieldDef("Address2", "varchar", 100, "Name and Address"),
    FieldDef("Address3", "varchar", 100, "Name and Address"),
    FieldDef("Address4", "varchar", 100, "Name and Address"),
    FieldDef("Address5", "varchar", 100, "Name and Address"),
    FieldDef("Address6", "varchar", 100, "Name and Address"),
    FieldDef("Postcode", "varchar", 20, "Name and Address", search="Y"),
    FieldDef("HomePhone", "varchar", 20, "Phone Numbers", search="Y"),
    FieldDef("WorkPhone", "varchar", 20, "Phone Numbers", search="Y"),
    FieldDef("MobilePhone", "varchar", 20, "Phone Numbers", search="Y"),
    FieldDef("Customer_Email", "varchar", 100, "Name and Address"),
    FieldDef("callback", "datetime", 19, "Callbacks", default=EMPTY_DATE),
    FieldDef("Call_Back_Notes", "largetext", 65535, "Callbacks"),
    FieldDef("Call_Back_Sametime", "int", 1, "Callbacks"),
    FieldDef("AgentRef", "int", 11, "Callbacks", default="0"),
    FieldDef("Agent_Specific", "int", 1, "Callbacks"),
    FieldDef("appointment", "datetime", 19, "Callbacks"),
    FieldDef("outcomecode", "int", 11, "system", readonly="Y"),
    FieldDef("ProcessType", "varchar", 50, "system", readonly="Y"),
    FieldDef("ProcessDate", "datetime", 19, "system", readonly="Y", default=EMPTY_DATE),
    FieldDef("notes", "largetext", 65535, "system", readonly="Y"),
    FieldDef("loaddate", "date", 10, "system", readonly="Y"),
    FieldDef("sourcefile", "varchar", 255, "system", readonly="Y"),
    FieldDef("flgid", "varchar", 50, "system", readonly="Y"),
)

STANDARD_NAMES: frozenset[str] = frozenset(f.name.lower() for f in STANDARD_FIELDS)

CUSTOM_TYPES = ("varchar", "smalltext", "largetext", "select", "radio", "checkbox", "int", "date", "datetime")
"""Types a seeded custom field may declare."""
