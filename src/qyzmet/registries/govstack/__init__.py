"""The registries' GovStack Digital Registries Data API (1.3.0) and the facts endpoints the
exchange gateway forwards to. See docs/registries.md and docs/adr/0031-govstack-registries.md."""
