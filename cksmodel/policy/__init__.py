"""The policy language: JSON text to an immutable IR, and what can be said of a document alone.

Positioned JSON (``jsontext``), the IR (``ir``) and its builder (``parse``), the IAM action
catalog, wildcard patterns and ARN matching, condition operators, validation findings, and the
printer back to JSON. Nothing here knows about requests, solvers or accounts.
"""
