"""The transparency log's events (topics of the outbox) and what they carry."""

# A tree head was signed: {"tree_size": int}. Its consumer publishes it to every witness.
TREE_HEAD_SIGNED = "transparency.tree_head_signed"
