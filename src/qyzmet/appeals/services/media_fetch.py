"""Open311 `media_url`: fetching the picture a client pointed to, after the appeal is saved."""

from __future__ import annotations

from django.db import transaction

from qyzmet.core.problem import Problem

from .. import media
from ..models import Appeal, AppealPhoto
from ..validation import PHOTO_MAX_COUNT, photo_check
from .common import _audit, _history


def _media_failed(appeal_id: int, code: str, detail: str = "") -> str:
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().filter(pk=appeal_id).first()
        if appeal is None or appeal.media_status != Appeal.MEDIA_PENDING:
            return "skipped"
        appeal.media_status = Appeal.MEDIA_FAILED
        appeal.media_error = (f"{code}: {detail}" if detail else code)[:300]
        appeal.save(update_fields=["media_status", "media_error", "updated_at"])
        _history(
            appeal,
            actor=None,
            action="media_failed",
            from_status=appeal.status,
            note=appeal.media_error,
        )
        _audit(appeal, actor=None, action="media_failed", data={"error": appeal.media_error})
    return "failed"


def appeal_media_fetch(*, appeal_id: int, final: bool = True) -> str:
    """Fetch the picture behind the appeal's Open311 media_url and attach it as a photo, under
    the same rules as uploaded photos. The network is used outside any transaction; the
    outcome is written in a short one. Returns "fetched", "failed" (recorded on the appeal, which
    is kept), "retry" (a passing failure and not `final`) or "skipped" (nothing pending)."""
    pending = (
        Appeal.objects.filter(pk=appeal_id, media_status=Appeal.MEDIA_PENDING)
        .values_list("media_url", flat=True)
        .first()
    )
    if not pending:
        return "skipped"
    try:
        content = media.media_download(pending, policy=media.policy_from_settings())
        kind = photo_check(content, "/media_url")
    except media.MediaFetchFailed as exc:
        if exc.transient and not final:
            return "retry"
        return _media_failed(appeal_id, exc.code, exc.detail)
    except Problem as problem:
        return _media_failed(
            appeal_id, "not_image" if problem.status == 415 else problem.code, str(len(content))
        )
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().filter(pk=appeal_id).first()
        if appeal is None or appeal.media_status != Appeal.MEDIA_PENDING:
            return "skipped"
        if appeal.photos.count() >= PHOTO_MAX_COUNT:
            return _media_failed(appeal_id, "too_many_photos")
        AppealPhoto.objects.create(
            appeal=appeal,
            source=AppealPhoto.MEDIA_URL,
            content=content,
            content_type=kind,
            size=len(content),
        )
        appeal.media_status = Appeal.MEDIA_FETCHED
        appeal.media_error = ""
        appeal.save(update_fields=["media_status", "media_error", "updated_at"])
        _history(appeal, actor=None, action="media_attached", from_status=appeal.status)
        _audit(appeal, actor=None, action="media_attached", data={"size": len(content)})
    return "fetched"
