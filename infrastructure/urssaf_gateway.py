"""Which URSSAF `billing advance` talks to (README, "URSSAF"): the simulator, or the real API
when BILLING_URSSAF_URL is set."""

from __future__ import annotations

import os
from datetime import datetime
from functools import cache

from application.urssaf_port import UrssafGateway
from domain.errors import ConfigurationError
from infrastructure.provider_files import load_identities
from infrastructure.urssaf_http import UrssafHttpGateway
from infrastructure.urssaf_oauth import TOKEN_URL, ClientCredentials
from infrastructure.urssaf_simulator import UrssafSimulator


def gateway_for(now: datetime) -> UrssafGateway:
    """The real URSSAF API when BILLING_URSSAF_URL is set (README, "URSSAF"): with OAuth2 client
    credentials from BILLING_URSSAF_CLIENT_ID / _CLIENT_SECRET (token URL BILLING_URSSAF_TOKEN_URL,
    default the Swagger's), else a bearer BILLING_URSSAF_TOKEN given as is; the deemed-timeline
    simulator else."""
    url = os.environ.get("BILLING_URSSAF_URL")
    if not url:
        return UrssafSimulator(now)
    identity = load_identities().on("etincelle", now.date())
    codes = identity.urssaf if identity else None
    tiers = os.environ.get("BILLING_URSSAF_ID_TIERS_FACTURATION") or (codes.id_tiers_facturation if codes else None)
    if not tiers:
        raise ConfigurationError("URSSAF's id of the provider (idTiersFacturation) is not known: set "
                                 "BILLING_URSSAF_ID_TIERS_FACTURATION, or id_tiers_facturation under [version.urssaf] "
                                 "of etincelle.toml (README, \"URSSAF\")")
    client_id, secret = os.environ.get("BILLING_URSSAF_CLIENT_ID"), os.environ.get("BILLING_URSSAF_CLIENT_SECRET")
    if client_id and secret:
        return UrssafHttpGateway(url, codes=codes, id_tiers_facturation=tiers, credentials=credentials_for(
            client_id, secret, os.environ.get("BILLING_URSSAF_TOKEN_URL") or TOKEN_URL))
    return UrssafHttpGateway(url, codes=codes, id_tiers_facturation=tiers, token=os.environ.get("BILLING_URSSAF_TOKEN"))


def speaks_to_urssaf() -> bool:
    """True when advance talks to URSSAF's API (BILLING_URSSAF_URL), not to the simulator."""
    return bool(os.environ.get("BILLING_URSSAF_URL"))


@cache
def credentials_for(client_id: str, secret: str, token_url: str) -> ClientCredentials:
    """One token holder per process and credentials: a scheduler's daily runs keep its token."""
    return ClientCredentials(client_id, secret, token_url)
