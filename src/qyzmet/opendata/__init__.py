"""Open data: the platform's own records published as datasets (CSV + JSON with a Table Schema),
agencies' uploaded datasets, a CKAN-compatible Action API and a DCAT-AP catalogue."""
