from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def force_login_verified(client, user) -> TOTPDevice:
    """``client.force_login`` plus the session state ``django_otp.login`` leaves: verified.

    Gives the user a confirmed TOTP device, as an administrator would.
    """
    device = TOTPDevice.objects.create(user=user, name="test device", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
