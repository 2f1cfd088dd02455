"""_client: address parsing and error classification."""

from __future__ import annotations

import pytest
import redis

from ansible_collections.hakit.redis.plugins.module_utils import _client


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("10.0.0.1:26379", 1, ("10.0.0.1", 26379)),
        ("10.0.0.1", 6379, ("10.0.0.1", 6379)),
        (" node1:7000 ", 6379, ("node1", 7000)),
        ("[fd00::1]:6380", 6379, ("fd00::1", 6380)),
        ("[fd00::1]", 6379, ("fd00::1", 6379)),
        ("fd00::1", 6379, ("fd00::1", 6379)),
    ],
)
def test_split_hostport(text: str, default: int, expected: tuple[str, int]) -> None:
    assert _client.split_hostport(text, default) == expected


@pytest.mark.parametrize("text", ["", ":6379", "host:0", "host:70000", "host:abc", "[fd00::1", "[fd00::1]x"])
def test_split_hostport_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        _client.split_hostport(text, 6379)


@pytest.mark.parametrize(("host", "port", "text"), [("10.0.0.1", 6379, "10.0.0.1:6379"), ("fd00::1", 1, "[fd00::1]:1")])
def test_join_hostport(host: str, port: int, text: str) -> None:
    assert _client.join_hostport(host, port) == text


@pytest.mark.parametrize(
    ("exc", "kind", "sentence"),
    [
        (
            redis.AuthenticationError("invalid password"),
            "auth",
            "10.0.0.1:6379: authentication failed (check the password)",
        ),
        (redis.ResponseError("WRONGPASS invalid username-password pair"), "auth", "authentication failed"),
        (redis.ResponseError("NOAUTH Authentication required."), "noauth", "no password given"),
        (redis.TimeoutError("Timeout connecting"), "timeout", "10.0.0.1:6379: timed out"),
        (redis.ConnectionError("Connection refused"), "unreachable", "10.0.0.1:6379: unreachable (Connection refused)"),
        (redis.ResponseError("ERR unknown command"), "response", "ResponseError: ERR unknown command"),
        (OSError("boom"), "other", "OSError: boom"),
    ],
)
def test_error_kind_and_description(exc: Exception, kind: str, sentence: str) -> None:
    assert _client.error_kind(exc) == kind
    assert sentence in _client.describe_error(exc, "10.0.0.1", 6379)


def test_connect_does_not_retry() -> None:
    client = _client.connect("127.0.0.1", 6379, "pw", 1.5)
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 1.5
    assert kwargs["retry"]._retries == 0


@pytest.mark.parametrize(
    ("args", "username", "password"),
    [
        ((), None, None),
        (("pw",), None, "pw"),
        (("pw", 2.0, "hakit-check"), "hakit-check", "pw"),
        # A nopass ACL user: redis-py authenticates only with a password, so "" stands in.
        ((None, 2.0, "hakit-check"), "hakit-check", ""),
    ],
)
def test_connect_authenticates_as_the_named_user(
    args: tuple[object, ...], username: str | None, password: str | None
) -> None:
    kwargs = _client.connect("127.0.0.1", 6379, *args).connection_pool.connection_kwargs
    assert (kwargs["username"], kwargs["password"]) == (username, password)


def test_tls_settings_and_redis_py_arguments() -> None:
    from ansible_collections.hakit.redis.plugins.module_utils._client import (
        redis_py_tls,
        resp_tls_kwargs,
        tls_kwargs,
        tls_settings,
    )

    assert tls_settings({"tls": False, "tls_ca_file": "/ca"}) is None
    assert tls_kwargs({"tls": False}) == {} and resp_tls_kwargs({}) == {}
    params = {"tls": True, "tls_ca_file": "/ca", "tls_cert_file": None, "tls_key_file": None}
    assert tls_kwargs(params) == {"tls": {"ca": "/ca", "cert": None, "key": None}}
    kw = redis_py_tls(tls_settings(params))
    assert kw["ssl"] is True and kw["ssl_ca_certs"] == "/ca" and kw["ssl_cert_reqs"] == "required"
    assert kw["ssl_certfile"] is None and kw["ssl_check_hostname"] is False
    assert redis_py_tls(None) == {}
