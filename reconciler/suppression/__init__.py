"""Suppression lists: numbers that must not be called, kept as keyed hashes.

`phones` turns written phone numbers into E.164 a column at a time; `listfile` reads and writes the binary list
file (sorted 64-bit prefixes of HMAC-SHA-256 of each E.164 number) and matches columns of numbers against it;
`importer` streams a CSV or text file of numbers into a list file. Nothing here ever logs or returns a number in
the clear beyond the call that normalises it.
"""
