"""Calling hours: windows in local time, the shipped legal floors, and each record's time zone."""
