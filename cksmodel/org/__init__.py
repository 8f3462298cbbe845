"""Whole organizations: member accounts analysed together, per-account work run as tasks."""
