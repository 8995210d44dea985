"""`make bench`: one benchmark per speed target, measured against a baseline taken in the same run.

Layout: `cli` (the orchestrator: one child process per database, the table, the JSON, the docs),
`target` (the child: build the dataset, start gunicorn, drive the load), `databases` (throwaway
SQLite/PostgreSQL databases), `dataset`, `server`, `load`, `cpu` (CPU per request from /proc),
`submissions`, `inbox`, `machine`, `report`, `profile` (cProfile of one submission and one inbox
page, for hot spots) and `wsgi` (gunicorn's entry point with the embedded settings)."""
