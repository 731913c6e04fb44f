import pytest

from tests.factories import PASSWORD, UserFactory
from tests.users.test_auth_views import assert_error_shape
from users.models import User

pytestmark = pytest.mark.django_db


def _login(client, username, password, ip="10.0.0.1", **extra):
    return client.post(
        "/api/auth/login/", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip, **extra
    )


@pytest.fixture
def strict_login(settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_failures": "5/15m", "login_ip": "20/1m"}


def test_five_failures_per_username_and_ip_then_429_even_with_right_password(api_client, strict_login):
    UserFactory(username="victim")
    for _ in range(5):
        assert _login(api_client, "victim", "wrong").status_code == 401
    resp = _login(api_client, "victim", PASSWORD)
    assert resp.status_code == 429
    assert int(resp["Retry-After"]) > 0
    assert int(resp["Retry-After"]) <= 15 * 60 + 1
    assert_error_shape(resp.json(), "throttled")
    # The same username from another address, and another username from this address, are not blocked.
    assert _login(api_client, "victim", PASSWORD, ip="10.0.0.2").status_code == 200
    UserFactory(username="bystander")
    assert _login(api_client, "bystander", PASSWORD).status_code == 200


def test_forged_x_forwarded_for_does_not_reset_the_limit(api_client, strict_login):
    UserFactory(username="victim")
    for i in range(5):
        _login(api_client, "victim", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    resp = _login(api_client, "victim", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert resp.status_code == 429


def test_success_resets_the_failure_count(api_client, strict_login):
    UserFactory(username="forgetful")
    for _ in range(4):
        _login(api_client, "forgetful", "wrong")
    assert _login(api_client, "forgetful", PASSWORD).status_code == 200
    for _ in range(4):
        assert _login(api_client, "forgetful", "wrong").status_code == 401


def test_login_per_ip_rate_counts_every_attempt(api_client, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_ip": "3/1m"}
    UserFactory(username="busy")
    for _ in range(3):
        assert _login(api_client, "busy", PASSWORD).status_code == 200
    resp = _login(api_client, "busy", PASSWORD)
    assert resp.status_code == 429
    assert 0 < int(resp["Retry-After"]) <= 61
    assert _login(api_client, "busy", PASSWORD, ip="10.9.9.9").status_code == 200


def test_register_five_per_hour_per_ip(api_client, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "register_ip": "5/1h"}

    def reg(i, ip="10.0.0.1", **extra):
        return api_client.post(
            "/api/users/auth/register/",
            {"username": f"new{i}", "email": f"new{i}@example.com", "password": "testpassword123",
             "password_confirm": "testpassword123"},
            format="json", REMOTE_ADDR=ip, **extra,
        )  # fmt: skip

    for i in range(5):
        assert reg(i).status_code == 201
    resp = reg(5, HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert resp.status_code == 429
    assert 3000 < int(resp["Retry-After"]) <= 3601
    assert User.objects.count() == 5
    assert reg(6, ip="10.0.0.2").status_code == 201


def test_trusted_proxy_count_uses_the_proxy_supplied_address(api_client, settings):
    from rest_framework.settings import api_settings

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    api_settings.reload()
    try:
        settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_ip": "2/1m"}
        UserFactory(username="proxied")
        for _ in range(2):
            assert _login(api_client, "proxied", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
        assert _login(api_client, "proxied", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
        # A client-forged first entry does not change the address the proxy appended last.
        forged = _login(api_client, "proxied", PASSWORD, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1")
        assert forged.status_code == 429
        assert _login(api_client, "proxied", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
        api_settings.reload()


def test_username_and_email_share_one_failure_counter(api_client, strict_login):
    UserFactory(username="victim", email="victim@example.com")
    for _ in range(3):
        assert _login(api_client, "victim", "wrong").status_code == 401
    for _ in range(2):
        assert _login(api_client, "VICTIM@example.com", "wrong").status_code == 401
    for spelling in ("victim", "victim@example.com", "Victim"):
        resp = _login(api_client, spelling, PASSWORD)
        assert resp.status_code == 429, spelling
        assert_error_shape(resp.json(), "throttled")


def test_an_unknown_identifier_is_locked_like_a_real_one(api_client, strict_login):
    UserFactory(username="real")
    for _ in range(5):
        assert _login(api_client, "ghost", "wrong").status_code == 401
    # Same answer as for an existing account, so the lock tells nothing about existence.
    assert _login(api_client, "ghost", "wrong").status_code == 429
    assert _login(api_client, "GHOST", "wrong").status_code == 429
    assert _login(api_client, "ghost2", "wrong").status_code == 401
    assert _login(api_client, "real", PASSWORD).status_code == 200


def test_password_change_failures_are_counted_first_and_lock(api_client, strict_login):
    from users.tokens import tokens_for_user

    user = UserFactory(username="changer")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=user)['access']}")

    def change(current):
        return api_client.post(
            "/api/users/auth/password-change/", {"current_password": current, "new_password": "n3w-Secret!pass"},
            format="json", REMOTE_ADDR="10.0.0.1",
        )  # fmt: skip

    for _ in range(5):
        assert change("wrong").status_code == 400
    resp = change(PASSWORD)
    assert resp.status_code == 429
    assert_error_shape(resp.json(), "throttled")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def _hammer(path: str, n: int, queue) -> None:
    from common.counters import SqliteCounters

    store = SqliteCounters(path)
    queue.put([store.hit("shared-key", 60)[0] for _ in range(n)])


def test_sqlite_counters_count_exactly_across_processes(tmp_path):
    """The embedded default's store: four processes hitting one key 50 times each see every count exactly once."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    path = str(tmp_path / "counters.sqlite3")
    procs = [ctx.Process(target=_hammer, args=(path, 50, queue)) for _ in range(4)]
    for proc in procs:
        proc.start()
    seen = sorted(c for _ in procs for c in queue.get(timeout=30))
    for proc in procs:
        proc.join(timeout=10)
    assert seen == list(range(1, 201))
