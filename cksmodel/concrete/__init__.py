"""Concrete semantics: one request against its policies, decided exactly as AWS does.

Requests and principals, the evaluator (the reference every other stage is checked against),
decisions with their explanations, and simulation scenarios.
"""
