"""Jupyter: rich display of results and what-if models of an account."""
