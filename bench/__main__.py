"""`python -m bench [--smoke] [--db sqlite|postgres|both] [--applications N] [--duration S]`."""

from bench.cli import main

raise SystemExit(main())
