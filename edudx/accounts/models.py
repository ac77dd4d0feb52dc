"""Log-in accounts and what proves who holds them: API tokens, pending sign-ups, national identities.

Citizens create their own account (Nghị định 45/2020/NĐ-CP: dossiers are lodged from an account on the
service portal) after proving they hold the e-mail box or mobile number; they may also sign in through the
national electronic identity provider, linked by its stable subject identifier.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A log-in account. The human behind it is a registry Person (linked from Person.user)."""

    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    must_change_password = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for a system integration. Only its hash is stored; it acts as its user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("tên"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("khoá API")
        verbose_name_plural = _("khoá API")

    @classmethod
    def generate(cls) -> str:
        return "edx_" + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class SignupChannel(models.TextChoices):
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")


class SignupVerification(models.Model):
    """A sign-up waiting for its one-time code. The account is created only when the code is entered,
    so nobody can hold a phone number or an e-mail address they have not proved they own.

    Only hashes are kept: the code's (keyed with the site secret) and the chosen password's.
    ``destination_taken`` marks a request for an address that already has an account: that holder
    is told so by the same channel, and no code exists that could complete it.
    """

    public_id = models.CharField(max_length=43, unique=True)
    channel = models.CharField(max_length=8, choices=SignupChannel.choices)
    destination = models.CharField(_("địa chỉ nhận mã"), max_length=254, db_index=True)
    full_name = models.CharField(_("họ và tên"), max_length=150)
    password_hash = models.CharField(max_length=128)
    code_hash = models.CharField(max_length=64)
    destination_taken = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    codes_sent = models.PositiveSmallIntegerField(default=1)
    last_sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("đăng ký chờ xác nhận")
        verbose_name_plural = _("đăng ký chờ xác nhận")
        indexes = [models.Index(fields=["destination", "last_sent_at"], name="accounts_signup_dest_sent")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.destination}"


class OidcIdentity(models.Model):
    """A local account's link to an identity at an OpenID Connect provider (the national electronic
    identity). ``subject`` is the provider's stable ``sub``; with ``issuer`` it names one person for good,
    whatever e-mail or phone they later show."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("danh tính điện tử liên kết")
        verbose_name_plural = _("danh tính điện tử liên kết")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="accounts_oidc_identity_unique_subject"),
            models.UniqueConstraint(fields=["user", "issuer"], name="accounts_oidc_identity_one_per_issuer"),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"
