"""Log-in through an OpenID Connect provider, against a small but real provider served on a local port.

The provider below speaks the protocol over HTTP (discovery, authorize, token with PKCE and client
authentication, JWKS) and signs ID tokens with a generated RSA key; EduDX talks to it with real requests.
Each refusal test changes one thing the provider does, or the browser sends, and checks nobody is signed in.
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from urllib.parse import parse_qs, urlencode, urlparse
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import requests
from django.contrib.auth import get_user_model
from django.urls import reverse
from joserfc import jwt
from joserfc.jwk import RSAKey

from edudx.accounts.models import OidcIdentity
from edudx.core.models import AuditEvent, RoleAssignment
from edudx.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()

CLIENT_ID = "edudx-cong-dvc"
CLIENT_SECRET = "bi-mat-cua-ung-dung"
BUTTON = "Đăng nhập bằng tài khoản định danh điện tử"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class LocalProvider:
    """A tiny OpenID Connect provider. ``claims`` are the next person's; ``tamper`` bends the next ID token."""

    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "cong-1", "use": "sig"}, private=True)
        # Another key under the same key id: a forger who knows the id but not the private key.
        self.forged_key = RSAKey.generate_key(2048, parameters={"kid": "cong-1", "use": "sig"}, private=True)
        self.codes = {}
        self.claims = {}
        self.tamper = {}
        self.token_requests = []
        self.issuer = ""

    # -- HTTP ----------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/.well-known/openid-configuration":
            return self._json(start_response, self.discovery())
        if path == "/jwks":
            return self._json(start_response, {"keys": [self.key.as_dict(private=False)]})
        if path == "/authorize":
            return self._authorize(environ, start_response)
        if path == "/token" and environ["REQUEST_METHOD"] == "POST":
            return self._token(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    def discovery(self):
        return {
            "issuer": self.tamper.get("discovery_issuer", self.issuer),
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def _json(self, start_response, data, status="200 OK"):
        body = json.dumps(data).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def _authorize(self, environ, start_response):
        q = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}
        assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
        assert q["code_challenge_method"] == "S256" and q["code_challenge"], "PKCE is required"
        assert q["state"] and q["nonce"] and "openid" in q["scope"].split()
        code = secrets.token_urlsafe(16)
        self.codes[code] = q
        target = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}"
        start_response("302 Found", [("Location", target)])
        return [b""]

    def _token(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
        self.token_requests.append(form)
        auth = environ.get("HTTP_AUTHORIZATION", "")
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != expected:
            return self._json(start_response, {"error": "invalid_client"}, "401 Unauthorized")
        request = self.codes.pop(form.get("code"), None)  # single use
        if request is None or form.get("grant_type") != "authorization_code":
            return self._json(start_response, {"error": "invalid_grant"}, "400 Bad Request")
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != request["code_challenge"] or form.get("redirect_uri") != request["redirect_uri"]:
            return self._json(start_response, {"error": "invalid_grant"}, "400 Bad Request")
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": request["nonce"],
            **self.claims,
        }
        claims.update(self.tamper.get("claims", {}))
        key = self.forged_key if self.tamper.get("forged") else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "cong-1"}, claims, key)
        return self._json(
            start_response,
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            },
        )


@pytest.fixture(scope="module")
def local_provider():
    provider = LocalProvider()
    server = make_server("127.0.0.1", 0, provider, handler_class=_QuietHandler)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield provider
    server.shutdown()
    server.server_close()


@pytest.fixture
def provider(local_provider, settings):
    settings.OIDC_PROVIDERS = {
        "vneid": {
            "issuer": local_provider.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scopes": "openid profile email phone",
            "name": BUTTON,
        }
    }
    local_provider.claims = {"sub": "vneid-0001", "name": "Trần Thị Mai"}
    local_provider.tamper = {}
    local_provider.token_requests.clear()
    return local_provider


def begin(client, provider):
    """Click the button; return the provider's authorize URL (with state, nonce and the PKCE challenge)."""
    response = client.get(reverse("accounts:oidc_login", args=["vneid"]))
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith(f"{provider.issuer}/authorize?")
    return url


def come_back(client, authorize_url, edit=None):
    """The person signs in at the provider (real HTTP) and the browser returns to EduDX's callback."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    back = urlparse(answer.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    if edit:
        edit(query)
    return client.get(f"{back.path}?{urlencode(query)}", follow=True)


def log_in(client, provider, edit=None):
    return come_back(client, begin(client, provider), edit)


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_login_page_shows_the_button_only_when_configured(client, settings, provider):
    html = client.get(reverse("accounts:login")).content.decode()
    assert BUTTON in html and reverse("accounts:oidc_login", args=["vneid"]) in html
    settings.OIDC_PROVIDERS = {}
    assert BUTTON not in client.get(reverse("accounts:login")).content.decode()
    assert client.get(reverse("accounts:oidc_login", args=["vneid"])).status_code == 404


def test_first_log_in_creates_a_citizen_and_the_next_one_finds_it(client, provider):
    provider.claims.update({"phone_number": "+84 912 000 111", "phone_number_verified": True})
    users_before = User.objects.count()
    response = log_in(client, provider)
    assert response.redirect_chain[-1][0] == reverse("procedures:catalogue")
    assert "Chào mừng Trần Thị Mai!" in response.content.decode()
    user = signed_in_user(client)
    assert user.username == "0912000111" and user.phone == "0912000111" and user.full_name == "Trần Thị Mai"
    assert not user.has_usable_password() and not RoleAssignment.objects.filter(user=user).exists()
    identity = OidcIdentity.objects.get()
    assert (identity.user, identity.issuer, identity.subject) == (user, provider.issuer, "vneid-0001")
    assert AuditEvent.objects.filter(action="account.oidc_create", object_id=str(user.pk)).exists()
    # PKCE: the code was traded with the verifier, by an authenticated client.
    [trade] = provider.token_requests
    assert trade["code_verifier"] and trade["grant_type"] == "authorization_code"

    client.post(reverse("accounts:logout"))
    provider.claims["name"] = "Trần Thị Mai (đổi tên)"
    log_in(client, provider)
    assert signed_in_user(client) == user
    assert User.objects.count() == users_before + 1 and OidcIdentity.objects.count() == 1


def test_verified_email_links_the_existing_account(client, provider):
    existing = make_user("mai.tran", "Trần Thị Mai", email="mai.tran@example.vn")
    provider.claims.update({"email": "Mai.Tran@example.vn", "email_verified": True})
    response = log_in(client, provider)
    assert "Đã liên kết tài khoản định danh điện tử" in response.content.decode()
    assert signed_in_user(client) == existing
    assert OidcIdentity.objects.get().user == existing
    assert AuditEvent.objects.filter(action="account.oidc_link", object_id=str(existing.pk)).exists()
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)  # the password still works as before


def test_unverified_email_never_links(client, provider):
    existing = make_user("mai.tran", "Trần Thị Mai", email="mai.tran@example.vn")
    provider.claims.update({"email": "mai.tran@example.vn", "email_verified": False})
    log_in(client, provider)
    user = signed_in_user(client)
    assert user != existing and user.email == ""  # a new account, without the unproven address
    assert OidcIdentity.objects.get().user == user


def test_a_signed_in_user_links_their_account(client, provider):
    citizen = make_user("0987000222", "Phạm Văn Long", phone="0987000222")
    client.force_login(citizen)
    response = log_in(client, provider)
    assert response.redirect_chain[-1][0] == reverse("accounts:security")
    assert "Đã liên kết tài khoản định danh điện tử với tài khoản của bạn." in response.content.decode()
    assert OidcIdentity.objects.get().user == citizen
    client.post(reverse("accounts:logout"))
    log_in(client, provider)
    assert signed_in_user(client) == citizen


def assert_refused(client, response, message):
    html = response.content.decode()
    assert message in html, html[:2000]
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert signed_in_user(client) is None
    assert not OidcIdentity.objects.exists()


def test_bad_state_is_refused(client, provider):
    users_before = User.objects.count()

    def forge_state(query):
        query["state"] = "khong-phai-cua-phien-nay"

    response = log_in(client, provider, edit=forge_state)
    assert_refused(client, response, "Phiên đăng nhập đã hết hạn hoặc không hợp lệ.")
    assert provider.token_requests == []  # the code was never even traded
    assert User.objects.count() == users_before


def test_a_state_is_good_for_one_return_only(client, provider):
    url = begin(client, provider)
    answer = requests.get(url, allow_redirects=False, timeout=5)
    back = urlparse(answer.headers["Location"])
    client.get(f"{back.path}?{back.query}")
    client.post(reverse("accounts:logout"))
    replay = client.get(f"{back.path}?{back.query}", follow=True)
    assert "Phiên đăng nhập đã hết hạn hoặc không hợp lệ." in replay.content.decode()
    assert signed_in_user(client) is None


def test_bad_nonce_is_refused(client, provider):
    provider.tamper = {"claims": {"nonce": "nonce-cua-phien-khac"}}
    assert_refused(client, log_in(client, provider), "mã dùng một lần (nonce) không khớp")


def test_token_signed_by_another_key_is_refused(client, provider):
    provider.tamper = {"forged": True}
    assert_refused(client, log_in(client, provider), "chữ ký không hợp lệ")


def test_token_for_another_audience_is_refused(client, provider):
    provider.tamper = {"claims": {"aud": "ung-dung-khac"}}
    assert_refused(client, log_in(client, provider), "thông tin không dành cho hệ thống này")


def test_token_for_another_audience_naming_us_as_authorised_party_is_refused(client, provider):
    provider.tamper = {"claims": {"aud": "ung-dung-khac", "azp": CLIENT_ID}}
    assert_refused(client, log_in(client, provider), "thông tin không dành cho hệ thống này")


def test_expired_token_is_refused(client, provider):
    now = int(time.time())
    provider.tamper = {"claims": {"iat": now - 3600, "exp": now - 600}}
    assert_refused(client, log_in(client, provider), "thông tin đăng nhập đã hết hạn")


def test_token_from_another_issuer_is_refused(client, provider):
    provider.tamper = {"claims": {"iss": "https://gia-mao.example"}}
    assert_refused(client, log_in(client, provider), "nơi cấp không đúng")


def test_cancelled_at_the_provider(client, provider):
    begin(client, provider)
    response = client.get(
        reverse("accounts:oidc_callback", args=["vneid"]) + "?error=access_denied&state=x", follow=True
    )
    assert_refused(client, response, "Máy chủ định danh điện tử chưa xác nhận đăng nhập.")


def test_discovery_naming_another_issuer_is_refused(client, provider):
    from edudx.accounts import oidc

    oidc._clients.clear()
    provider.tamper = {"discovery_issuer": "https://gia-mao.example"}
    response = client.get(reverse("accounts:oidc_login", args=["vneid"]), follow=True)
    assert "Máy chủ định danh trả về thông tin cấu hình không đúng." in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("accounts:login") and signed_in_user(client) is None
    provider.tamper = {}
    log_in(client, provider)  # once the provider is right again, it works
    assert signed_in_user(client) is not None
