"""Registry change events: what changed in a registry, as CloudEvents 1.0, through the outbox,
to in-process consumers and to a commit-ordered feed read over the exchange gateway
(docs/registry-events.md)."""
