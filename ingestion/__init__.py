"""Reading anchor exports, the KvK extract and reference data into the canonical contract.

Plain Python: no Dagster imports here, so every reader and validator is testable on its own.
"""
