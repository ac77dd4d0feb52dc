import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_now(device):
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def confirmed_device(user):
    return TOTPDevice.objects.create(user=user, name="Ứng dụng xác thực", confirmed=True)


def login_verified(client, user):
    """Sign in and mark the session as having passed the second factor."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or confirmed_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture
def verified_client(client):
    def _login(user):
        login_verified(client, user)
        return client

    return _login
