"""Citizens' appeals, their photos and history, what the routing model suggested for each and
what people decided, duplicate links, per-category threshold overrides, Open311 API keys and the
address gazetteer learned from earlier appeals."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from .chooser import Group


class Appeal(models.Model):
    REGISTERED = "registered"
    ROUTED = "routed"
    IN_WORK = "in_work"
    ANSWERED = "answered"
    CLOSED = "closed"
    REOPENED = "reopened"
    STATUSES = [(s, s) for s in (REGISTERED, ROUTED, IN_WORK, ANSWERED, CLOSED, REOPENED)]
    OPEN_STATUSES = (REGISTERED, ROUTED, IN_WORK, REOPENED)
    # Where the place came from: the citizen's own coordinates, a known house found from the
    # address (approximate coordinates), a district named or implied by the address (no
    # coordinates), or nothing (the appeal is flagged for triage).
    PLACE_POINT = "point"
    PLACE_STREET = "street"
    PLACE_DISTRICT = "district"
    PLACE_UNRESOLVED = "unresolved"
    PLACE_STATUSES = [(s, s) for s in (PLACE_POINT, PLACE_STREET, PLACE_DISTRICT,
                                       PLACE_UNRESOLVED)]
    # The picture behind an Open311 `media_url`: fetched in the background.
    MEDIA_PENDING = "pending"
    MEDIA_FETCHED = "fetched"
    MEDIA_FAILED = "failed"

    number = models.CharField(max_length=30, unique=True, null=True, blank=True)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(max_length=10, default="portal")  # portal | api | open311
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="appeals",
    )
    language = models.CharField(max_length=2, default="kk")
    appeal_type = models.CharField(max_length=30, default="complaint")
    text = models.TextField()
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    district = models.CharField(max_length=100, null=True, blank=True)
    place_status = models.CharField(max_length=10, choices=PLACE_STATUSES, default=PLACE_POINT)
    category = models.CharField(max_length=60, null=True, blank=True)
    category_from_citizen = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)
    organisation_code = models.CharField(max_length=60, null=True, blank=True, db_index=True)
    status = models.CharField(max_length=12, choices=STATUSES, default=REGISTERED)
    is_open = models.BooleanField(default=True)
    due_date = models.DateField(null=True, blank=True)
    extensions = models.PositiveSmallIntegerField(default=0)
    due_soon_notified = models.BooleanField(default=False)
    overdue_notified = models.BooleanField(default=False)
    answer_text = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_on_time = models.BooleanField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    duplicate_score = models.FloatField(null=True, blank=True)
    duplicate_state = models.CharField(max_length=10, blank=True)  # "" | linked | merged
    # Open311 submitters without an account
    contact_email = models.CharField(max_length=200, blank=True)
    contact_first_name = models.CharField(max_length=100, blank=True)
    contact_last_name = models.CharField(max_length=100, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    media_status = models.CharField(max_length=10, blank=True)  # "" | pending | fetched | failed
    media_error = models.CharField(max_length=300, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    api_key = models.ForeignKey(
        "Open311ApiKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Not columns, set on the appeals of the triage queue: the latest routing suggestion
    # (selectors.triage_list), and for the back office's page whether the place is unresolved
    # and the organisations to choose from.
    latest_suggestion: RoutingSuggestion | None
    place_unresolved: bool
    org_groups: list[Group]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation_code", "is_open", "due_date", "id"]),
            models.Index(fields=["status", "id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | (Q(rating__gte=1) & Q(rating__lte=5)),
                name="appeal_rating_1_5",
            ),
            models.CheckConstraint(
                condition=(Q(lat__isnull=True) & Q(lon__isnull=True))
                | (Q(lat__isnull=False) & Q(lon__isnull=False)),
                name="appeal_lat_lon_together",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"appeal {self.pk}"


class AppealPhoto(models.Model):
    UPLOAD = "upload"
    MEDIA_URL = "media_url"

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="photos")
    source = models.CharField(max_length=10, default=UPLOAD)  # upload | media_url
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)


class AppealEvent(models.Model):
    """The appeal's history, as the citizen and the officers see it."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class RoutingSuggestion(models.Model):
    """What the model said about one appeal, and what people finally decided. Kept for every
    appeal, including when the model could not be loaded (then `error` says why)."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="suggestions")
    model_version_id = models.IntegerField(null=True, blank=True)
    model_version = models.CharField(max_length=80, blank=True)
    category_label = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=60, blank=True)
    category_confidence = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    reason_confidence = models.FloatField(null=True, blank=True)
    responsible_org_label = models.CharField(max_length=200, blank=True)
    organisation_code = models.CharField(max_length=60, blank=True)
    responsible_org_confidence = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    auto_routed = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    final_category = models.CharField(max_length=60, blank=True)
    final_organisation_code = models.CharField(max_length=60, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class RoutingCorrection(models.Model):
    """A person changed where an appeal goes: a training signal for the next model."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="corrections")
    from_category = models.CharField(max_length=60, blank=True)
    to_category = models.CharField(max_length=60, blank=True)
    from_organisation_code = models.CharField(max_length=60, blank=True)
    to_organisation_code = models.CharField(max_length=60)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class CategoryThreshold(models.Model):
    """A person's override of the model's auto-routing threshold for one category."""

    category = models.CharField(max_length=60, unique=True)
    threshold = models.FloatField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gte=0) & Q(threshold__lte=1.0001),
                name="appeal_threshold_0_1",
            )
        ]


class OrganisationAlias(models.Model):
    """The model names organisations by its training labels; this maps a label to our code."""

    label = models.CharField(max_length=300, unique=True)
    organisation_code = models.CharField(max_length=60)


class Open311ApiKey(models.Model):
    """A key for Open311 clients that POST requests. Only the SHA-256 of the key is stored."""

    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class AddressPoint(models.Model):
    """One entry of the gazetteer the product learns from appeals that came with both an address
    and coordinates: a house (`house` set) keeps its recent points, whose median is where an
    address-only appeal for that house is put; a street (`house` empty) keeps how many appeals
    on it fell in each district. Keys are normalised (`qyzmet.appeals.gazetteer`)."""

    locality = models.CharField(max_length=100, blank=True)  # "" = the address named no city
    street = models.CharField(max_length=200)
    house = models.CharField(max_length=30, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    district = models.CharField(max_length=100, null=True, blank=True)
    samples = models.JSONField(default=list, blank=True)  # recent [lat, lon, district]
    districts = models.JSONField(default=dict, blank=True)  # {district: appeals}
    count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["locality", "street", "house"],
                                    name="appeal_address_point_key"),
        ]
        indexes = [models.Index(fields=["street", "house"])]

    def __str__(self) -> str:
        return f"{self.locality}|{self.street}|{self.house}"
