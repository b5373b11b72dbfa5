"""Where a delivery may go: HTTPS, public addresses only (unless settings allow)."""

import pytest

from webhooks.errors import WebhookError
from webhooks.signing import signature_header, signature_valid
from webhooks.transport import target_check


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata: link-local
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://localhost/hook",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(WebhookError) as refused:
        target_check(url)
    assert refused.value.code == "private_address"
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_ALLOW_HTTP = False
    assert target_check(url).scheme == "https"  # allowed by the setting


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://93.184.216.34/hook", "not_https"),
        ("ftp://93.184.216.34/hook", "not_https"),
        ("https://user:pw@93.184.216.34/hook", "credentials"),
        ("https://no-such-host.invalid/hook", "unresolvable"),
        ("https://93.184.216.34:99999/hook", "bad_port"),
    ],
)
def test_other_bad_addresses_are_refused(url, code, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(WebhookError) as refused:
        target_check(url)
    assert refused.value.code == code


def test_a_public_address_is_pinned(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    target = target_check("https://93.184.216.34:8443/in?x=1")
    assert (target.address, target.port, target.path) == ("93.184.216.34", 8443, "/in?x=1")


def test_the_signature_covers_the_time_and_the_body():
    header = signature_header(secret="s3cret", timestamp=1_700_000_000, body=b'{"a":1}')
    assert signature_valid(secret="s3cret", header=header, body=b'{"a":1}', now=1_700_000_100)
    assert not signature_valid(secret="s3cret", header=header, body=b'{"a":2}', now=1_700_000_100)
    assert not signature_valid(secret="s3cret", header=header, body=b'{"a":1}', now=1_700_001_000)
    forged = header.replace("t=1700000000", "t=1700000900")
    assert not signature_valid(secret="s3cret", header=forged, body=b'{"a":1}', now=1_700_000_900)
    assert not signature_valid(secret="s3cret", header="garbage", body=b"", now=0)
