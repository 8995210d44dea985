"""People (by IIN), organisations (by BIN: agencies and businesses) and the roles people hold."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models


class UserManager(BaseUserManager["User"]):
    def create_user(self, iin: str, password: str | None = None, **extra) -> User:
        user = self.model(iin=iin, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, iin: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(iin, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Identified by IIN; names are the registry's, copied at sign-up."""

    iin = models.CharField("IIN", max_length=12, unique=True)
    full_name = models.CharField(max_length=300, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=20, blank=True, default="")
    language = models.CharField(max_length=2, default="kk")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(auto_now_add=True)

    objects = UserManager()
    USERNAME_FIELD = "iin"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return f"{self.full_name or self.iin}"


class Organisation(models.Model):
    """A government agency or a business, identified by BIN and a short stable code."""

    class Kind(models.TextChoices):
        AGENCY = "agency", "agency"
        BUSINESS = "business", "business"

    code = models.SlugField(max_length=60, unique=True)
    bin = models.CharField("BIN", max_length=12, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.AGENCY)
    name_kk = models.CharField(max_length=300)
    name_ru = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300)

    def __str__(self) -> str:
        return self.code


class Membership(models.Model):
    """A person's role in an organisation: `officer` and `head` in agencies, `representative`
    in businesses. Workflows name these roles."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_once")
        ]


class OneTimeCode(models.Model):
    """A one-time code sent by SMS, stored only as a hash, for one purpose and a short time."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=60)
    challenge = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)


class Throttle(models.Model):
    """One rate-limit counter: how many events of a kind (`scope`) one subject had since
    `window_start`, and until when the subject is refused.

    The subject is never stored in clear: `key` is an HMAC (SECRET_KEY) of what is counted — an
    IIN, a client address, or both — so the table works alike for IINs with and without an
    account and tells a reader of the database nobody's IIN. Counters live in the database,
    not in a process, so every web worker sees the same count; every change is one conditional
    UPDATE (or one INSERT that a unique constraint arbitrates)."""

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    blocked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="throttle_once")]


class ApiToken(models.Model):
    """A bearer token for the API, issued after IIN + password + one-time code; stored hashed."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
