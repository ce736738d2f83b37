"""Loading an export into a database table: SQLite (standard library) and DuckDB (the warehouse extra).

`keys.py` says which columns identify a row of each object, `layout.py` maps the CSV's typed columns
(formats/types.py) onto the table and remembers the mapping in the database, `sqlite_engine.py` and
`duckdb_engine.py` run the load (staging table, then one upsert in one transaction), `load.py` is
the entry point.
"""
