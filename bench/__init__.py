"""`make bench`: one benchmark per speed target, measured against a baseline taken in the same run.

Layout: `cli` (the orchestrator: one child process per database, the table, the JSON, the docs),
`target` (the child: build the dataset, start gunicorn, drive the load), `dataset`, `server`,
`load`, `submissions`, `inbox`, `machine`, `report`, and `wsgi` (gunicorn's entry point with the
embedded settings)."""
