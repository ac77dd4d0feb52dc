"""Citizen sign-up: a name, a mobile number or an e-mail address, a password, then a one-time code.

The account exists only once the code sent to that number or box is entered, so nobody can take an
address they do not hold. Codes live 10 minutes, allow 5 tries, may be re-sent after 60 seconds, and
one address receives at most ``SIGNUP_MAX_CODES_PER_HOUR`` of them an hour.

A request for an address that already has an account looks exactly like any other to whoever made it
(the same page, the same limits); the holder of that address is told by the same channel that an
account exists. So the form reveals nothing about who has an account, while the real owner gets a
clear answer. Citizens get no role: their own dossiers are reached as applicant.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from edudx.core import audit
from edudx.core.errors import ValidationFailed
from edudx.core.sms import send_sms

from . import rules
from .models import SignupChannel, SignupVerification

log = logging.getLogger(__name__)
User = get_user_model()

_HMAC_SALT = "edudx.accounts.signup-code"
# Pending sign-ups nobody finished are dropped after a day (they hold a password hash).
PENDING_KEEP = dt.timedelta(days=1)


def _code_hash(public_id: str, code: str) -> str:
    # Keyed with the site secret: six digits hashed plainly could be reversed from a database copy.
    return salted_hmac(_HMAC_SALT, f"{public_id}:{code}", algorithm="sha256").hexdigest()


def contact_parse(raw: str) -> tuple[str, str]:
    """``(channel, destination)`` for what the citizen typed: a Vietnamese mobile number or an e-mail address."""
    text = (raw or "").strip()
    if "@" in text:
        email = text.lower()
        if not rules.looks_like_email(email) or len(email) > 150:
            raise ValidationFailed(_("Địa chỉ thư điện tử không hợp lệ."), code="contact")
        try:
            # The address becomes the user name, so it must be a valid one.
            User.username_validator(email)
        except ValidationError as exc:
            raise ValidationFailed(
                _("Địa chỉ thư điện tử này có ký tự không dùng được; hãy dùng số điện thoại di động."), code="contact"
            ) from exc
        return SignupChannel.EMAIL, email
    phone = rules.normalise_phone(text)
    if not rules.is_mobile_phone(phone):
        raise ValidationFailed(
            _(
                "Hãy nhập số điện thoại di động Việt Nam (10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09) "
                "hoặc một địa chỉ thư điện tử."
            ),
            code="contact",
        )
    return SignupChannel.SMS, phone


def destination_taken(channel: str, destination: str) -> bool:
    """Whether an account already answers to this number or address (as user name or contact)."""
    if channel == SignupChannel.EMAIL:
        match = Q(username__iexact=destination) | Q(email__iexact=destination)
    else:
        match = Q(username=destination) | Q(phone=destination)
    return User.objects.filter(match).exists()


def _codes_sent_last_hour(destination: str, now: dt.datetime) -> int:
    total = SignupVerification.objects.filter(
        destination=destination, last_sent_at__gte=now - dt.timedelta(hours=1)
    ).aggregate(total=Sum("codes_sent"))["total"]
    return int(total or 0)


def _check_hourly_limit(destination: str, now: dt.datetime) -> None:
    if _codes_sent_last_hour(destination, now) >= rules.SIGNUP_MAX_CODES_PER_HOUR:
        raise ValidationFailed(
            _("Địa chỉ này đã nhận quá nhiều mã trong một giờ qua. Vui lòng thử lại sau ít phút."),
            code="rate_limited",
        )


def _deliver(row_id: int, code: str | None) -> None:
    """Send the code (or, for an address that has an account, the notice). Runs after commit."""
    row = SignupVerification.objects.get(pk=row_id)
    minutes = rules.SIGNUP_CODE_TTL_SECONDS // 60
    if row.channel == SignupChannel.EMAIL:
        if code is None:
            subject = _("Địa chỉ thư điện tử của bạn đã có tài khoản EduDX")
            body = _(
                "Ai đó (có thể là bạn) vừa đăng ký tài khoản EduDX bằng địa chỉ thư điện tử này, nhưng địa chỉ "
                "này đã có tài khoản. Hãy đăng nhập bằng địa chỉ thư điện tử và mật khẩu của bạn; nếu quên mật "
                "khẩu, hãy dùng chức năng «Quên mật khẩu». Nếu bạn không đăng ký, hãy bỏ qua thư này."
            )
        else:
            subject = _("Mã xác nhận đăng ký tài khoản EduDX: %(code)s") % {"code": code}
            body = _(
                "Chào %(name)s,\n\nMã xác nhận đăng ký tài khoản EduDX của bạn là %(code)s. Mã có hiệu lực "
                "%(minutes)s phút. Không chia sẻ mã này cho bất kỳ ai.\n\nNếu bạn không đăng ký, hãy bỏ qua thư này."
            ) % {"name": row.full_name, "code": code, "minutes": minutes}
        send_mail(subject, body, None, [row.destination])
        return
    # Brand-name SMS gateways in Vietnam take unaccented text (and it keeps the message in one segment).
    if code is None:
        text = _(
            "EduDX: So dien thoai nay da co tai khoan. Hay dang nhap bang so dien thoai va mat khau cua ban. "
            "Neu ban khong dang ky, hay bo qua tin nay."
        )
    else:
        text = _(
            "EduDX: Ma xac nhan dang ky tai khoan cua ban la %(code)s, hieu luc %(minutes)s phut. Khong chia se ma nay."
        ) % {
            "code": code,
            "minutes": minutes,
        }
    send_sms(row.destination, text)


def _deliver_on_commit(row_id: int, code: str | None) -> None:
    def run() -> None:
        try:
            _deliver(row_id, code)
        except Exception:  # a failing gateway must not break the page: the citizen can ask again
            log.exception("Could not send the sign-up code for request %s", row_id)

    transaction.on_commit(run)


@transaction.atomic
def signup_start(*, full_name: str, contact: str, password: str) -> SignupVerification:
    """Check the request, keep it pending and send a code to the number or box (after commit)."""
    now = timezone.now()
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise ValidationFailed(_("Họ và tên không được để trống."), code="full_name")
    if len(full_name) > 150:
        raise ValidationFailed(_("Họ và tên tối đa 150 ký tự."), code="full_name")
    channel, destination = contact_parse(contact)
    candidate = User(
        username=destination,
        full_name=full_name,
        email=destination if channel == SignupChannel.EMAIL else "",
        phone=destination if channel == SignupChannel.SMS else "",
    )
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), code="password") from exc
    SignupVerification.objects.filter(completed_at__isnull=True, created_at__lt=now - PENDING_KEEP).delete()
    _check_hourly_limit(destination, now)
    taken = destination_taken(channel, destination)
    public_id = secrets.token_urlsafe(32)
    code = None if taken else rules.new_signup_code()
    row = SignupVerification.objects.create(
        public_id=public_id,
        channel=channel,
        destination=destination,
        full_name=full_name,
        password_hash=make_password(password),
        # For a taken address no code was sent; the hash of a long random secret matches no 6 digits.
        code_hash=_code_hash(public_id, code if code is not None else secrets.token_urlsafe(32)),
        destination_taken=taken,
        last_sent_at=now,
        expires_at=now + dt.timedelta(seconds=rules.SIGNUP_CODE_TTL_SECONDS),
    )
    _deliver_on_commit(row.pk, code)
    return row


def signup_pending_get(*, public_id: str) -> SignupVerification | None:
    """The unfinished sign-up this browser started, if any."""
    if not public_id:
        return None
    return SignupVerification.objects.filter(public_id=public_id, completed_at__isnull=True).first()


def resend_wait_seconds(row: SignupVerification, now: dt.datetime | None = None) -> int:
    """Seconds before another code may be sent for this sign-up (0 when it may)."""
    elapsed = ((now or timezone.now()) - row.last_sent_at).total_seconds()
    return max(0, int(rules.SIGNUP_RESEND_COOLDOWN_SECONDS - elapsed + 0.999))


@transaction.atomic
def signup_resend(*, public_id: str) -> SignupVerification:
    """A fresh code (the old one stops working), with a fresh 10 minutes and 5 tries."""
    now = timezone.now()
    row = SignupVerification.objects.select_for_update().filter(public_id=public_id).first()
    if row is None or row.completed_at is not None:
        raise ValidationFailed(_("Yêu cầu đăng ký không còn hiệu lực. Vui lòng đăng ký lại."), code="gone")
    wait = resend_wait_seconds(row, now)
    if wait:
        raise ValidationFailed(
            _("Vui lòng chờ %(seconds)s giây rồi bấm gửi lại mã.") % {"seconds": wait}, code="cooldown"
        )
    _check_hourly_limit(row.destination, now)
    code = None if row.destination_taken else rules.new_signup_code()
    row.code_hash = _code_hash(row.public_id, code if code is not None else secrets.token_urlsafe(32))
    row.attempts = 0
    row.codes_sent += 1
    row.last_sent_at = now
    row.expires_at = now + dt.timedelta(seconds=rules.SIGNUP_CODE_TTL_SECONDS)
    row.save(update_fields=["code_hash", "attempts", "codes_sent", "last_sent_at", "expires_at"])
    _deliver_on_commit(row.pk, code)
    return row


_TAKEN_MESSAGE = gettext_noop(
    "Số điện thoại hoặc địa chỉ thư điện tử này đã có tài khoản. Hãy đăng nhập, hoặc dùng chức năng "
    "«Quên mật khẩu» nếu bạn không nhớ mật khẩu."
)


@transaction.atomic
def _signup_check(public_id: str, code: str) -> Any:
    """Count the try and, when the code is right, create the account. Returns the user or a message:
    a wrong code must not roll back the count of tries, so nothing here raises for it."""
    now = timezone.now()
    row = SignupVerification.objects.select_for_update().filter(public_id=public_id).first()
    if row is None or row.completed_at is not None:
        return _("Yêu cầu đăng ký không còn hiệu lực. Vui lòng đăng ký lại.")
    if row.attempts >= rules.SIGNUP_MAX_ATTEMPTS:
        return _("Bạn đã nhập sai quá %(count)s lần. Hãy bấm «Gửi lại mã» để nhận mã mới.") % {
            "count": rules.SIGNUP_MAX_ATTEMPTS
        }
    if now >= row.expires_at:
        return _("Mã xác nhận đã hết hạn. Hãy bấm «Gửi lại mã» để nhận mã mới.")
    row.attempts += 1
    row.save(update_fields=["attempts"])
    code = rules.normalise_signup_code(code)
    if len(code) != rules.SIGNUP_CODE_LENGTH or not constant_time_compare(
        _code_hash(row.public_id, code), row.code_hash
    ):
        left = rules.SIGNUP_MAX_ATTEMPTS - row.attempts
        if left <= 0:
            return _("Mã xác nhận không đúng. Bạn đã nhập sai quá %(count)s lần; hãy bấm «Gửi lại mã».") % {
                "count": rules.SIGNUP_MAX_ATTEMPTS
            }
        return _("Mã xác nhận không đúng. Bạn còn %(left)s lần thử.") % {"left": left}
    # The code proves the address is theirs, so from here on saying "already has an account" reveals nothing.
    if destination_taken(row.channel, row.destination):
        row.completed_at = now
        row.password_hash = ""
        row.save(update_fields=["completed_at", "password_hash"])
        return _(_TAKEN_MESSAGE)
    user = User(
        username=row.destination,
        full_name=row.full_name,
        email=row.destination if row.channel == SignupChannel.EMAIL else "",
        phone=row.destination if row.channel == SignupChannel.SMS else "",
        password=row.password_hash,
        is_active=True,
    )
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # another sign-up for the same address won the race
        return _(_TAKEN_MESSAGE)
    row.completed_at = now
    row.user = user
    row.password_hash = ""  # the account holds it now
    row.save(update_fields=["completed_at", "user", "password_hash"])
    audit.record(
        actor=user,
        action="account.signup",
        obj=user,
        after={"username": user.username, "full_name": user.full_name, "channel": row.channel},
    )
    return user


def signup_verify(*, public_id: str, code: str) -> Any:
    """Check the code; on success the account is created, active, and returned (the caller signs it in)."""
    outcome = _signup_check(public_id, code)
    if isinstance(outcome, str):
        raise ValidationFailed(outcome, code="code")
    return outcome
