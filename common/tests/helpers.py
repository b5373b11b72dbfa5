import threading

from django.db import connection
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


def at_once(work, workers: int = 2) -> tuple[list, list[BaseException]]:
    """Run ``work`` in ``workers`` threads released together (each on its own database
    connection, closed after): what each returned, and what each raised."""
    barrier, results, errors = threading.Barrier(workers), [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except BaseException as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors
