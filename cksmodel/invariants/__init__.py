"""Invariants of an account: the spec language, the prover, its results and CI reports."""
