"""Accounts: bundles of AWS CLI output read into the IR, and access questions over them."""
