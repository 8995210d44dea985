"""Witnesses: places outside the database where every signed tree head is published, so an
insider who rewrites the database (drops the triggers, deletes or rewrites the log and re-points
its head) is caught by comparing the log with the heads witnessed before.

A witness is a plugin behind a small typed registry (`@register("directory")`), configured by
`QYZMET_TREE_HEAD_WITNESSES` (settings, or the same name in the environment as JSON): a list of
`{"kind": ..., ...options}`. Kinds: `directory` (one file per head, never overwritten), `email`
(Django mail to a mailbox kept by someone else), `http` (POST to another server's API).
"""

from __future__ import annotations

from .base import Witness, WitnessConfigError, WitnessFailed, register, witnesses_configured

__all__ = ["Witness", "WitnessConfigError", "WitnessFailed", "register", "witnesses_configured"]
