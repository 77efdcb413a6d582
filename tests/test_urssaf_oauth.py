"""OAuth2 client credentials against URSSAF (issue 15, point 1), with the stub's token endpoint:
the token is asked once and kept, renewed before it ends and once after a 401, asked with Basic
auth, grant_type and the Swagger's scope; a wrong secret is a clear error that never shows it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.urssaf_port import UrssafUnavailable
from infrastructure.urssaf_http import UrssafHttpGateway
from infrastructure.urssaf_oauth import RENEW_BEFORE, ClientCredentials
from tests.test_urssaf_http import CODES, URSSAF_ID, request
from tests.urssaf_stub import TOKEN_PATH, OAuth, UrssafStub

SECRET = "s3cr3t-do-not-print"


@pytest.fixture
def stub() -> Iterator[UrssafStub]:
    with UrssafStub(oauth=OAuth("etincelle-app", SECRET), clients=[URSSAF_ID]) as server:
        yield server
        assert server.invalid == []


def token_calls(stub: UrssafStub) -> int:
    return sum(call.path == TOKEN_PATH for call in stub.calls)


def test_the_token_is_asked_once_and_sent_as_bearer(stub: UrssafStub) -> None:
    gateway = UrssafHttpGateway(stub.url, codes=CODES,
                                credentials=ClientCredentials("etincelle-app", SECRET, stub.token_url))
    gateway.submit([request("F-1")])
    gateway.statuses(["DP-0001"])
    assert token_calls(stub) == 1
    data = [call for call in stub.calls if call.path != TOKEN_PATH]
    assert all(call.status == 200 and call.headers["Authorization"] == "Bearer tok-1" for call in data)


def test_a_token_is_renewed_before_it_ends(stub: UrssafStub) -> None:
    now = [0.0]
    credentials = ClientCredentials("etincelle-app", SECRET, stub.token_url, clock=lambda: now[0])
    gateway = UrssafHttpGateway(stub.url, credentials=credentials, codes=CODES)
    gateway.statuses(["DP-0001"])
    now[0] = 3600 - RENEW_BEFORE - 1  # still a minute and more to go: kept
    gateway.statuses(["DP-0001"])
    now[0] = 3600 - RENEW_BEFORE + 1  # less than a minute left: a new one
    gateway.statuses(["DP-0001"])
    assert token_calls(stub) == 2


def test_a_401_asks_a_new_token_once(stub: UrssafStub) -> None:
    gateway = UrssafHttpGateway(stub.url, codes=CODES,
                                credentials=ClientCredentials("etincelle-app", SECRET, stub.token_url))
    gateway.statuses(["DP-0001"])
    stub.revoke_tokens()  # as if it had expired early on URSSAF's side
    assert gateway.statuses(["DP-0001"]) == []
    assert token_calls(stub) == 2
    # nothing was sent, so each search finds nothing (400 ERR_RECHERCHE_VIDE, read as no status)
    assert [c.status for c in stub.calls if c.path != TOKEN_PATH] == [400, 401, 400]


def test_wrong_credentials_are_a_clear_error_without_the_secret(stub: UrssafStub, capsys) -> None:
    gateway = UrssafHttpGateway(stub.url, credentials=ClientCredentials("etincelle-app", "wrong-" + SECRET,
                                                                        stub.token_url), codes=CODES)
    with pytest.raises(UrssafUnavailable) as refused:
        gateway.submit([request("F-1")])
    assert "HTTP 401" in str(refused.value) and "BILLING_URSSAF_CLIENT_SECRET" in str(refused.value)
    assert SECRET not in str(refused.value) and SECRET not in capsys.readouterr().err
    assert [c.path for c in stub.calls] == [TOKEN_PATH]  # no data call without a token
