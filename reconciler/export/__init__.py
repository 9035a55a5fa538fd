"""`reconciler export`: write manifests that reproduce a live account, so that the first plan is empty.

Modules: account (the export: options, where it writes, atomically; each kind writes its own documents),
records (streaming record CSVs), members (member CSVs), documents (YAML text), names (stable, unique manifest
names). This package's __init__ imports nothing, so that kinds may use its writers.
"""
