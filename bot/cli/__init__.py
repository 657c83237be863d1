"""The `policybot` command line."""
