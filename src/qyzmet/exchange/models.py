"""The exchange gateway's data: members, subsystems, services, access rights, the keys that
authenticate client subsystems, seen message ids (replay protection) and the message log.

Identifiers follow X-Road: a subsystem is `INSTANCE/CLASS/MEMBER/SUBSYSTEM`, a service is
`INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`. The member code is the organisation's BIN."""

from __future__ import annotations

from django.db import models


class AppendOnlyError(RuntimeError):
    pass


class Member(models.Model):
    instance = models.CharField(max_length=20)
    member_class = models.CharField(max_length=20)
    code = models.CharField(max_length=40)
    # The organisation (identity app) whose administrators manage this member's services.
    organisation_code = models.CharField(max_length=60, blank=True, default="")
    name_kk = models.CharField(max_length=300, blank=True, default="")
    name_ru = models.CharField(max_length=300, blank=True, default="")
    name_en = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "member_class", "code"], name="exchange_member_unique"
            )
        ]

    def __str__(self) -> str:
        return self.xroad_id

    @property
    def xroad_id(self) -> str:
        return f"{self.instance}/{self.member_class}/{self.code}"


class Subsystem(models.Model):
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="subsystems")
    code = models.CharField(max_length=60)
    # Denormalised `INSTANCE/CLASS/MEMBER/SUBSYSTEM`, unique: the hot path finds by it.
    xroad_id = models.CharField(max_length=200, unique=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "code"], name="exchange_subsystem_unique")
        ]

    def __str__(self) -> str:
        return self.xroad_id


class Service(models.Model):
    subsystem = models.ForeignKey(Subsystem, on_delete=models.PROTECT, related_name="services")
    code = models.CharField(max_length=60)
    xroad_id = models.CharField(max_length=260, unique=True)
    title = models.CharField(max_length=300, blank=True, default="")
    # Where the provider answers. "" or a path ("/data/population/1.0/facts") → dispatched
    # in-process to this server's URLconf; "http(s)://…" → forwarded over HTTP.
    base_url = models.CharField(max_length=500, blank=True, default="")
    # Calls need an end user (X-Road-UserId) and a purpose: the service returns personal data.
    personal_data = models.BooleanField(default=True)
    openapi = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subsystem", "code"], name="exchange_service_unique")
        ]

    def __str__(self) -> str:
        return self.xroad_id


class AccessRight(models.Model):
    """A client subsystem may call a service. No row, no call (deny by default)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="rights")
    client = models.ForeignKey(Subsystem, on_delete=models.CASCADE, related_name="rights")
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "client"], name="exchange_right_unique")
        ]


class ClientKey(models.Model):
    """A public key registered for a client subsystem: requests signed with the private half
    authenticate the subsystem. Revoked keys stay for the record."""

    class Algorithm(models.TextChoices):
        ED25519 = "ed25519", "Ed25519"
        ES256 = "es256", "ECDSA P-256 / SHA-256"

    subsystem = models.ForeignKey(Subsystem, on_delete=models.CASCADE, related_name="keys")
    key_id = models.CharField(max_length=80, unique=True)
    algorithm = models.CharField(max_length=10, choices=Algorithm.choices)
    public_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class LocalKey(models.Model):
    """Private keys this installation signs with when no key file is configured (the embedded
    mode): the gateway's own key and the platform's client key. Production points
    QYZMET_EXCHANGE_GATEWAY_KEY_FILE / QYZMET_EXCHANGE_CLIENT_KEY_FILE at files or an HSM."""

    name = models.CharField(max_length=200, unique=True)
    private_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)


class SeenMessage(models.Model):
    """X-Road-Id values already accepted from a client: a second use is a replay. Rows older
    than the accepted clock skew can be pruned (`exchange_prune`)."""

    client = models.CharField(max_length=200)
    message_id = models.CharField(max_length=200)
    seen_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "message_id"], name="exchange_seen_unique")
        ]


class MessageLogEntry(models.Model):
    """One message (request or response) that passed the gateway, append-only. `entry_hash` =
    SHA-256 over `prev_hash` and the entry's canonical content. New entries are written with
    an empty `prev_hash` (no chain head to wait for: writers do not serialise); the sealer
    (messagelog.message_log_seal) later links them into signed, hash-chained seals
    (MessageLogSeal), after which editing, removing or reordering them is detected. Entries
    written before migration 0003 carry the old per-row chain in `prev_hash`. Database
    triggers refuse UPDATE, and refuse DELETE of rows that no archive covers."""

    class Direction(models.TextChoices):
        REQUEST = "request", "request"
        RESPONSE = "response", "response"

    at = models.DateTimeField(db_index=True)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    request_id = models.CharField(max_length=40, db_index=True)
    message_id = models.CharField(max_length=200, blank=True, default="")
    client = models.CharField(max_length=200, blank=True, default="")
    service = models.CharField(max_length=260, blank=True, default="")
    method = models.CharField(max_length=10, blank=True, default="")
    path = models.TextField(blank=True, default="")
    user_id = models.CharField(max_length=40, blank=True, default="")
    purpose = models.CharField(max_length=500, blank=True, default="")
    status = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=80, blank=True, default="")
    body = models.TextField(blank=True, default="")
    body_hash = models.CharField(max_length=100, blank=True, default="")
    # The exact string the sender signed (signing.py), so the signature can be checked later.
    signed = models.TextField(blank=True, default="")
    signature = models.TextField(blank=True, default="")
    signer = models.CharField(max_length=200, blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise AppendOnlyError("message log entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("message log entries are append-only")


class MessageLogSeal(models.Model):
    """A signed, hash-chained digest of a set of message-log entries (docs/exchange.md,
    "Message log"). `ranges` lists the entry ids it covers ("1-500,502-910"); `digest` is
    SHA-256 over the lines "<id>:<entry_hash>" in id order; `seal_hash` = SHA-256 over
    `prev_hash` (the previous seal's seal_hash, 64 zeros for the first) and the canonical JSON
    of the other fields; `signature` is the gateway's over `seal_hash`. Append-only (triggers)."""

    created_at = models.DateTimeField()
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    ranges = models.TextField()
    entries = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    seal_hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=80)
    signature = models.TextField()


class DirectoryVersion(models.Model):
    """One row (id 1) whose random `token` changes, by database triggers, with every change
    to the directory tables: the per-process directory cache is valid while it is unchanged
    (directory.py)."""

    token = models.BigIntegerField(default=0)


class MessageLogArchive(models.Model):
    """A range of log entries moved to a signed file. Its rows may then be deleted (the
    triggers allow exactly those); the chain of what stays starts at `last_hash`."""

    created_at = models.DateTimeField(auto_now_add=True)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    first_prev_hash = models.CharField(max_length=64)
    last_hash = models.CharField(max_length=64)
    entries = models.PositiveIntegerField()
    file_name = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64)
