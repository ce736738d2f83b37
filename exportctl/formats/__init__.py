"""Typed outputs of an export: the column types (types.py) and the writers of JSON Lines and Parquet."""
