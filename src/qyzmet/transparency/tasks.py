"""Periodic work of the log. Both tasks are safe to re-run at any time."""

from celery import shared_task

from .services import audit_anchor_run, tree_head_current


@shared_task(name="transparency.anchor_audit")
def anchor_audit() -> int:
    """Anchor the audit trail's hash chain in the log, then publish a tree head covering it."""
    anchors = audit_anchor_run()
    tree_head_current()
    return len(anchors)


@shared_task(name="transparency.publish_tree_head")
def publish_tree_head() -> int:
    return tree_head_current().tree_size
