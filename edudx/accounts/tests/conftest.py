import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_now(device):
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def confirmed_device(user):
    return TOTPDevice.objects.create(user=user, name="Ứng dụng xác thực", confirmed=True)


@pytest.fixture
def verified_client(client):
    """Sign in with an enrolled authenticator (TOTP) verified in the session.

    For the tests of the second factor itself, which need a real authenticator behind the session
    (recovery codes, disabling); other tests use ``edudx.testing.login_verified``.
    """

    def _login(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or confirmed_device(user)
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return _login
