"""Log-in through an OpenID Connect provider: the national electronic identity (VNeID-style).

The flow is the authorization code flow with PKCE (S256), a ``state`` bound to the browser's session
and a ``nonce`` bound to the ID token. Authlib runs the protocol; this module adds what a government
platform must insist on: the provider's discovery document must name the configured issuer, and the ID
token must be signed by a key of the provider's JWKS, issued by that issuer, for our client, unexpired.

Accounts are matched by the provider's stable subject (``sub``) and issuer, kept in ``OidcIdentity``.
A first log-in links an existing account only through an address the provider vouches for
(``email_verified`` / ``phone_number_verified``) or the account the person is already signed in to;
otherwise it creates a citizen account without a role. Providers come from ``settings.OIDC_PROVIDERS``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from requests import RequestException

from edudx.core import audit
from edudx.core.errors import NotPermitted, ValidationFailed

from . import rules
from .models import OidcIdentity

log = logging.getLogger(__name__)
User = get_user_model()

DEFAULT_NAME = "Đăng nhập bằng tài khoản định danh điện tử"
# Clock skew tolerated on exp/iat between us and the provider.
LEEWAY_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10
# Discovery document and keys are kept this long; an unknown key id makes Authlib fetch the keys again.
CLIENT_TTL_SECONDS = 3600


@dataclass(frozen=True)
class Provider:
    key: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    name: str
    redirect_uri: str = ""


def providers() -> list[Provider]:
    """The configured providers, in settings order (none by default)."""
    found = []
    for key, conf in (getattr(settings, "OIDC_PROVIDERS", None) or {}).items():
        if not conf.get("issuer") or not conf.get("client_id"):
            continue
        scopes = conf.get("scopes") or "openid"
        if isinstance(scopes, list | tuple):
            scopes = " ".join(scopes)
        if "openid" not in scopes.split():
            scopes = f"openid {scopes}"
        found.append(
            Provider(
                key=key,
                issuer=str(conf["issuer"]).rstrip("/"),
                client_id=str(conf["client_id"]),
                client_secret=str(conf.get("client_secret") or ""),
                scopes=scopes,
                name=str(conf.get("name") or DEFAULT_NAME),
                redirect_uri=str(conf.get("redirect_uri") or ""),
            )
        )
    return found


def provider_get(key: str) -> Provider | None:
    return next((p for p in providers() if p.key == key), None)


_clients: dict[Provider, tuple[float, DjangoOAuth2App]] = {}
_clients_lock = threading.Lock()


def _client(provider: Provider) -> DjangoOAuth2App:
    """Authlib's client for ``provider``, reused for an hour so discovery and keys are not fetched every time."""
    now = time.monotonic()
    with _clients_lock:
        cached = _clients.get(provider)
        if cached is not None and now - cached[0] < CLIENT_TTL_SECONDS:
            return cached[1]
        oauth = OAuth()
        client = oauth.register(
            name=f"oidc_{provider.key}",
            client_id=provider.client_id,
            client_secret=provider.client_secret or None,
            server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": provider.scopes,
                "code_challenge_method": "S256",
                "default_timeout": HTTP_TIMEOUT_SECONDS,
                # Without a secret we are a public client: PKCE alone binds the code to this browser.
                "token_endpoint_auth_method": "client_secret_basic" if provider.client_secret else "none",
            },
        )
        _clients[provider] = (now, client)
        return client


def _metadata(provider: Provider, client: DjangoOAuth2App) -> dict[str, Any]:
    metadata: dict[str, Any] = client.load_server_metadata()
    # OpenID Connect Discovery §4.3: the document must name the very issuer it was fetched for.
    if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer:
        with _clients_lock:
            _clients.pop(provider, None)
        raise ValidationFailed(_("Máy chủ định danh trả về thông tin cấu hình không đúng."), code="issuer")
    return metadata


def authorize_redirect(provider: Provider, request: HttpRequest, redirect_uri: str) -> HttpResponse:
    """Send the browser to the provider; state, nonce and the PKCE verifier stay in the session."""
    try:
        client = _client(provider)
        _metadata(provider, client)
        response: HttpResponse = client.authorize_redirect(request, redirect_uri)
    except (RequestException, AuthlibBaseError, JoseError, ValueError, KeyError) as exc:
        log.warning("OIDC provider %s unreachable: %s", provider.key, exc)
        raise ValidationFailed(
            _("Không kết nối được với máy chủ định danh điện tử. Vui lòng thử lại sau."), code="provider"
        ) from exc
    return response


def _claims_options(provider: Provider) -> dict[str, Any]:
    return {
        "iss": {"essential": True, "value": provider.issuer},
        "aud": {"essential": True, "value": provider.client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
    }


_REASONS = {
    "nonce": gettext_noop("mã dùng một lần (nonce) không khớp"),
    "aud": gettext_noop("thông tin không dành cho hệ thống này"),
    "azp": gettext_noop("thông tin không dành cho hệ thống này"),
    "iss": gettext_noop("nơi cấp không đúng"),
    "signature": gettext_noop("chữ ký không hợp lệ"),
    "expired": gettext_noop("thông tin đăng nhập đã hết hạn"),
}
_UNKNOWN_REASON = gettext_noop("thông tin không hợp lệ")


def _refused(reason: str, exc: Exception) -> ValidationFailed:
    log.warning("OIDC ID token refused (%s): %s", reason, exc)
    return ValidationFailed(
        _("Không xác minh được thông tin đăng nhập từ máy chủ định danh điện tử: %(reason)s. Vui lòng thử lại.")
        % {"reason": _(_REASONS.get(reason, _UNKNOWN_REASON))},
        code=reason,
    )


def verified_claims(provider: Provider, request: HttpRequest) -> dict[str, Any]:
    """Finish the flow at the callback: check state, trade the code (with the PKCE verifier), verify the
    ID token and return its claims. Raises ``ValidationFailed`` (code says why) on any doubt."""
    if request.GET.get("error"):
        code = "cancelled" if request.GET["error"] == "access_denied" else "provider"
        raise ValidationFailed(_("Máy chủ định danh điện tử chưa xác nhận đăng nhập."), code=code)
    try:
        client = _client(provider)
        _metadata(provider, client)
        token = client.authorize_access_token(request, claims_options=_claims_options(provider), leeway=LEEWAY_SECONDS)
    except MismatchingStateError as exc:
        log.warning("OIDC state mismatch for %s", provider.key)
        raise ValidationFailed(
            _("Phiên đăng nhập đã hết hạn hoặc không hợp lệ. Vui lòng bấm đăng nhập lại."), code="state"
        ) from exc
    except ExpiredTokenError as exc:
        raise _refused("expired", exc) from exc
    except (InvalidClaimError, MissingClaimError) as exc:
        raise _refused(getattr(exc, "claim", "") or "", exc) from exc
    except (BadSignatureError, InvalidKeyIdError) as exc:
        raise _refused("signature", exc) from exc
    except (OAuthError, AuthlibBaseError, JoseError, RequestException, ValueError, KeyError) as exc:
        log.warning("OIDC code exchange with %s failed: %s", provider.key, exc)
        raise ValidationFailed(
            _("Không hoàn tất được đăng nhập với máy chủ định danh điện tử. Vui lòng thử lại."), code="provider"
        ) from exc
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        # Authlib only checks an ID token when there is one; OpenID Connect requires it.
        raise ValidationFailed(
            _("Không hoàn tất được đăng nhập với máy chủ định danh điện tử. Vui lòng thử lại."), code="provider"
        )
    return dict(claims)


# --- Linking identities to accounts ----------------------------------------------------------


def _verified_email(claims: dict[str, Any]) -> str:
    email = str(claims.get("email") or "").strip().lower()
    return email if email and claims.get("email_verified") is True and rules.looks_like_email(email) else ""


def _verified_phone(claims: dict[str, Any]) -> str:
    phone = rules.normalise_phone(str(claims.get("phone_number") or ""))
    return phone if claims.get("phone_number_verified") is True and rules.is_mobile_phone(phone) else ""


def _full_name(claims: dict[str, Any]) -> str:
    name = " ".join(str(claims.get("name") or "").split())
    if not name:
        # Vietnamese order: family name first.
        parts = [claims.get("family_name"), claims.get("middle_name"), claims.get("given_name")]
        name = " ".join(str(p).strip() for p in parts if p)
    return name[:150]


def _new_username(issuer: str, subject: str, phone: str, email: str) -> str:
    for candidate in (phone, email):
        if candidate and len(candidate) <= 150 and not User.objects.filter(username__iexact=candidate).exists():
            return candidate
    return "eid-" + hashlib.sha256(f"{issuer}|{subject}".encode()).hexdigest()[:16]


def _single_match(match: Q) -> Any:
    found = list(User.objects.filter(match)[:2])
    if len(found) > 1:
        raise ValidationFailed(
            _(
                "Thông tin liên hệ của bạn gắn với nhiều tài khoản. Hãy đăng nhập bằng mật khẩu rồi liên kết "
                "tài khoản định danh điện tử trong trang Bảo mật tài khoản."
            ),
            code="ambiguous",
        )
    return found[0] if found else None


@transaction.atomic
def oidc_account_resolve(*, issuer: str, claims: dict[str, Any], signed_in: Any = None) -> tuple[Any, str]:
    """The local account for a verified identity, linking or creating it on first use.

    Returns ``(user, how)`` with ``how`` one of ``"known"``, ``"linked"`` (to ``signed_in`` or through a
    verified e-mail/phone) or ``"created"``. Audited when a link or an account is made.
    """
    subject = str(claims["sub"])
    identity = (
        OidcIdentity.objects.select_for_update().select_related("user").filter(issuer=issuer, subject=subject).first()
    )
    now = timezone.now()
    if identity is not None:
        if signed_in is not None and signed_in.pk != identity.user_id:
            raise ValidationFailed(
                _("Tài khoản định danh điện tử này đã liên kết với một tài khoản khác."), code="linked_elsewhere"
            )
        if not identity.user.is_active:
            raise NotPermitted(_("Tài khoản này đã bị khoá."))
        identity.last_login_at = now
        identity.save(update_fields=["last_login_at"])
        return identity.user, "known"

    email, phone = _verified_email(claims), _verified_phone(claims)
    user, via = signed_in, "session"
    if user is None and email:
        user, via = _single_match(Q(username__iexact=email) | Q(email__iexact=email)), "email"
    if user is None and phone:
        user, via = _single_match(Q(username=phone) | Q(phone=phone)), "phone"
    if user is not None:
        if not user.is_active:
            raise NotPermitted(_("Tài khoản này đã bị khoá."))
        if OidcIdentity.objects.filter(user=user, issuer=issuer).exists():
            raise ValidationFailed(
                _("Tài khoản của bạn đã liên kết với một tài khoản định danh điện tử khác."), code="already_linked"
            )
        OidcIdentity.objects.create(user=user, issuer=issuer, subject=subject, last_login_at=now)
        audit.record(actor=user, action="account.oidc_link", obj=user, after={"issuer": issuer, "via": via})
        return user, "linked"

    user = User(
        username=_new_username(issuer, subject, phone, email),
        full_name=_full_name(claims),
        email=email,
        phone=phone,
        is_active=True,
    )
    # No password: this person signs in through the provider (or sets one with a reset by e-mail).
    user.set_unusable_password()
    user.save()
    OidcIdentity.objects.create(user=user, issuer=issuer, subject=subject, last_login_at=now)
    audit.record(
        actor=user,
        action="account.oidc_create",
        obj=user,
        after={"issuer": issuer, "username": user.username, "full_name": user.full_name},
    )
    return user, "created"
