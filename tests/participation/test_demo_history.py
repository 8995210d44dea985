"""The legal-acts demo reads as a history: nothing but the sealed summary is dated today, and
every moderation and answer follows its comment."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from qyzmet.participation.models import Comment, LegalAct, LegalActVersion

pytestmark = pytest.mark.django_db


def test_demo_versions_and_comments_are_dated_in_the_past():
    call_command("demo_load", "--count", "100", "--no-model", stdout=StringIO())
    today = timezone.localdate()
    acts = list(LegalAct.objects.all())
    assert len(acts) >= 2
    versions = list(LegalActVersion.objects.all())
    assert any(v.number > 1 for v in versions)
    for version in versions:
        assert timezone.localdate(version.created_at) < today, version.number
        if version.number == 1:
            assert version.created_at < version.act.opened_at
    comments = list(Comment.objects.select_related("act"))
    assert any(c.answered_at for c in comments) and any(c.moderated_at for c in comments)
    for comment in comments:
        assert timezone.localdate(comment.created_at) < today
        assert comment.created_at >= comment.act.opened_at
        if comment.moderated_at:
            assert comment.moderated_at > comment.created_at
        if comment.answered_at:
            assert comment.answered_at > comment.moderated_at
            assert timezone.localdate(comment.answered_at) <= today
