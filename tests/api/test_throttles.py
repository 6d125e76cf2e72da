"""API rate limits: signed-in users are counted per user at the user rate, anonymous clients
per address at the anonymous rate; and the client's address is REMOTE_ADDR unless
KETASITE_NUM_PROXIES says how many of our own proxies append to X-Forwarded-For, so a
header the client writes itself never buys it a fresh bucket."""

import itertools

import pytest
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.test import RequestFactory, override_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from ketasite.api import FixedWindowAnonThrottle
from ketasite.ratelimit import client_address
from tests.conftest import make_user
from tests.foundation.test_settings import run_manage

EDITORIAL = "/api/v1/editorial/articles/"
PUBLIC = "/api/v1/tags/"
TOKEN_URL = "/api/v1/auth/token/"
_forged = (f"198.51.100.{n % 250}" for n in itertools.count(1))


@pytest.fixture
def one_window(monkeypatch):
    """Freeze the throttles' clock inside one window, so "a minute" is exactly one."""
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: 1_800_000_010.0))


@pytest.fixture
def rates(monkeypatch):
    """Set the rates under test (the throttles read them when each request is counted)."""

    def _set(**rates):
        for scope, rate in rates.items():
            monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return _set


def proxied(num_proxies):
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK,
                                             "NUM_PROXIES": num_proxies})


# ---------------------------------------------------------------------------------------------
# Signed-in users are counted per user


@pytest.mark.django_db
def test_a_signed_in_editor_can_make_a_thousand_requests_in_a_minute(token_client, one_window):
    client = token_client("Editors")
    codes = {client.get(PUBLIC).status_code for _ in range(1000)}
    assert codes == {200}


@pytest.mark.django_db
def test_a_session_editor_is_counted_by_user_not_at_the_anonymous_rate(
    client, one_window, rates
):
    rates(anon="3/min", user="10/min")
    client.force_login(make_user("Editors"))
    codes = [client.get(EDITORIAL).status_code for _ in range(11)]
    assert codes == [200] * 10 + [429]


@pytest.mark.django_db
def test_two_signed_in_users_behind_one_address_do_not_share_a_bucket(
    token_client, one_window, rates
):
    rates(anon="3/min", user="5/min")
    editor, reviewer = token_client("Editors"), token_client("Reviewers")
    editor_codes = [editor.get(EDITORIAL, REMOTE_ADDR="192.0.2.1").status_code
                    for _ in range(6)]
    reviewer_codes = [reviewer.get(EDITORIAL, REMOTE_ADDR="192.0.2.1").status_code
                      for _ in range(5)]
    assert editor_codes == [200] * 5 + [429]
    assert reviewer_codes == [200] * 5


@pytest.mark.django_db
def test_anonymous_clients_are_still_capped_at_the_anonymous_rate(api, one_window, rates):
    rates(anon="3/min", user="100/min")
    codes = [api.get(PUBLIC).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = api.get(PUBLIC)
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0


@pytest.mark.django_db
def test_a_stale_session_cookie_is_counted_as_anonymous(api, one_window, rates):
    # A session cookie that no longer signs anyone in skips the page cache's throttle but
    # must meet the anonymous rate in DRF.
    rates(anon="3/min", user="100/min")
    api.cookies[settings.SESSION_COOKIE_NAME] = "no-such-session"
    codes = [api.get(PUBLIC).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


# ---------------------------------------------------------------------------------------------
# A forged X-Forwarded-For changes nothing (KETASITE_NUM_PROXIES=0, the default)


def test_the_default_trusts_no_forwarded_header(settings):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


@pytest.mark.django_db
def test_a_forged_forwarded_header_does_not_escape_the_anonymous_rate(api, one_window, rates):
    rates(anon="3/min")
    codes = [api.get(PUBLIC, HTTP_X_FORWARDED_FOR=next(_forged)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


@pytest.mark.django_db
def test_a_forged_forwarded_header_does_not_escape_the_sign_in_rate(api, one_window, rates):
    rates(token="2/min")
    codes = [
        api.post(TOKEN_URL, {"username": "x", "password": "y"}, format="json",
                 HTTP_X_FORWARDED_FOR=next(_forged)).status_code
        for _ in range(3)
    ]
    assert codes == [400, 400, 429]


def test_a_forged_forwarded_header_does_not_change_the_throttle_cache_key(rf):
    plain = rf.get(PUBLIC, REMOTE_ADDR="192.0.2.1")
    forged = rf.get(PUBLIC, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    for request in (plain, forged):
        request.user = None
    throttle = FixedWindowAnonThrottle()
    assert throttle.get_cache_key(forged, None) == throttle.get_cache_key(plain, None)
    assert "192.0.2.1" in throttle.get_cache_key(forged, None)


@pytest.mark.django_db
def test_a_forged_forwarded_header_does_not_change_the_page_cache_key(client):
    first = client.get(PUBLIC, HTTP_X_FORWARDED_FOR="203.0.113.1")
    second = client.get(PUBLIC, HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert first.status_code == second.status_code == 200
    assert second["X-Cache"] == "hit"


def test_the_lock_out_ignores_a_forged_forwarded_header(rf):
    request = rf.post("/admin/login/", REMOTE_ADDR="192.0.2.1",
                      HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert get_client_ip_address(request) == "192.0.2.1"


# ---------------------------------------------------------------------------------------------
# Behind a proxy (KETASITE_NUM_PROXIES=1): the address our proxy appended, right-most


def test_behind_one_proxy_the_right_most_address_is_the_client():
    request = RequestFactory().get(
        PUBLIC, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9"
    )
    with proxied(1):
        assert client_address(request) == "203.0.113.9"
        assert get_client_ip_address(request) == "203.0.113.9"
    assert client_address(request) == "10.0.0.2"


@pytest.mark.django_db
def test_behind_one_proxy_a_forged_prefix_does_not_escape_the_anonymous_rate(
    api, one_window, rates
):
    rates(anon="3/min")
    with proxied(1):
        codes = [
            api.get(PUBLIC, REMOTE_ADDR="10.0.0.2",
                    HTTP_X_FORWARDED_FOR=f"{next(_forged)}, 203.0.113.9").status_code
            for _ in range(4)
        ]
        other_client = api.get(PUBLIC, REMOTE_ADDR="10.0.0.2",
                               HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert codes == [200, 200, 200, 429]
    assert other_client.status_code == 200


def test_the_proxy_count_comes_from_the_environment():
    result = run_manage(
        "shell", "-v", "0", "-c",
        "from django.conf import settings as s; "
        "print(s.REST_FRAMEWORK['NUM_PROXIES'], s.AXES_CLIENT_IP_CALLABLE)",
        env_overrides={"KETASITE_NUM_PROXIES": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "ketasite.ratelimit.client_address"]


@pytest.mark.parametrize("num_proxies", [0, 1, 2, None])
@pytest.mark.parametrize("forwarded", [
    None, "", "203.0.113.9", "198.51.100.7, 203.0.113.9", " 198.51.100.7 ,203.0.113.9 ",
    "a, b, c",
])
def test_the_client_address_is_the_one_drf_names(num_proxies, forwarded):
    # `client_address` reads the header from META for speed; it must name the client DRF's
    # `get_ident` (the rule it replaces) names, whatever the proxies and the header.
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    request = RequestFactory().get(PUBLIC, REMOTE_ADDR="10.0.0.2", **extra)
    with proxied(num_proxies):
        assert client_address(request) == BaseThrottle().get_ident(request)


@pytest.mark.django_db
def test_a_signed_in_client_is_counted_by_user_from_any_address(token_client, one_window,
                                                               rates):
    rates(anon="100/min", user="3/min")
    editor = token_client("Editors")
    codes = [editor.get(EDITORIAL, REMOTE_ADDR=f"192.0.2.{n}").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


