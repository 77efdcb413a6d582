"""Who issues and who receives (issue 13, points 1 and 3): the providers' identities as data
validated at load (python-stdnum), what they lack reported by `billing providers check`, and a
copy of both parties as of the issue date on every document, covered by its hash; on both
backends through the `billing` command."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from domain.errors import TermsError
from domain.issuing import IssuedDocument
from infrastructure.provider_files import load_identities, read_versions
from application.books.invoices import parties_json
from application.ledger import read_ledger
from tests.billing_cli import billing_json, jsonl, run_billing
from tests.services import Engine
from tests.test_btb_scenario import fact, history
from tests.test_tamper import edit, verify

GAP = {"line1": "Camp de base, Place du Rochasson", "postal_code": "05000", "city": "Gap", "country": "FR"}


def test_the_shipped_identities_are_those_of_the_texts() -> None:
    identities = load_identities()
    btb = identities.seller("btbconnect", date(2026, 5, 4))
    assert (btb["name"], btb["legal_form"], btb["capital"], btb["siren"], btb["rcs"]) == (
        "BTBCONNECT", "SAS", "100.00", "928030329", "RCS Gap 928 030 329")
    assert (btb["vat_number"], btb["orias"], btb["address"]) == ("FR06928030329", "24005674", GAP)
    ets = identities.seller("etincelle", date(2026, 1, 10))
    assert ets["legal_form"] == "EI" and ets["email"] == "contact@letincelledusavoir.fr"
    assert ets["missing"] == ["siret", "address", "sap_declaration"]  # never invented
    assert identities.seller("btbconnect", date(2026, 1, 1))["missing"] == ["identity"]


def test_providers_check_says_what_each_lacks(tmp_path: Path) -> None:
    report = billing_json("providers", "check", db=f"sqlite:///{tmp_path / 'x.db'}")
    assert {r["provider"]: r["missing"] for r in report["providers"]} == {
        "btbconnect": [], "etincelle": ["siret", "address", "sap_declaration"]}


@pytest.mark.parametrize(("change", "error"), [
    ('siren = "928030328"', "not a valid SIREN"),
    ('vat_number = "FR11123456782"', "not derived from SIREN"),
    ('missing = ["orias"]', "'missing' names 'orias'"),
])
def test_an_identity_file_with_a_wrong_value_is_refused(tmp_path: Path, change: str, error: str) -> None:
    shipped = Path("infrastructure/providers_data/btbconnect.toml").read_text(encoding="utf-8")
    name = change.split(" = ")[0]
    lines = [line for line in shipped.splitlines() if not line.startswith(f"{name} = ")]
    at = lines.index('orias = "24005674"')
    (tmp_path / "b.toml").write_text("\n".join([*lines[:at + 1], change, *lines[at + 1:]]), encoding="utf-8")
    with pytest.raises(TermsError, match=error):
        read_versions(tmp_path / "b.toml")
    result = run_billing("providers", "check", "--file", str(tmp_path / "b.toml"), db="sqlite:///x.db", check=False)
    assert result.returncode == 1 and error in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def issued(db_url: str) -> str:
    """The BTBCONNECT scenario; C-BETA moves and is renamed on 1 August, before later invoices."""
    moved = fact("beta-moved", "client.details_changed", "2026-08-01T09:00:00+02:00", client_id="C-BETA",
                 name="Agence Beta Conseil", address={"line1": "1 rue Carnot", "postal_code": "05000", "city": "Gap"})
    billing_json("ingest", "-", db=db_url, stdin=jsonl([*history(), moved]), check=False)
    run_billing("advance", "--to", "2026-10-31", db=db_url)
    return db_url


def test_each_document_keeps_both_parties_as_of_its_issue_date(issued: str) -> None:
    rows = billing_json("invoices", db=issued)
    assert all(r["seller"]["siren"] == "928030329" and r["parties"] == "issued" for r in rows)
    alpha = [r["buyer"] for r in rows if r["client_id"] == "C-ALPHA"]
    assert alpha and all(b == {"client_id": "C-ALPHA", "name": "Cabinet Alpha", "siren": "123456782",
                               "address": None, "missing": ["address"]} for b in alpha)
    beta = {r["issued_on"]: r["buyer"]["name"] for r in rows if r["client_id"] == "C-BETA"}
    assert {n for day, n in beta.items() if day < "2026-08-01"} == {"Agence Beta"}  # never rewritten
    assert {n for day, n in beta.items() if day >= "2026-08-01"} == {"Agence Beta Conseil"}
    assert verify(issued)[0] == 0


def test_an_edited_party_on_an_issued_document_is_found(issued: str) -> None:
    edit(issued, "DocumentIssued", b'"name":"Agence Beta Conseil"', b'"name":"Agence Beta Consei1"')
    status, report = verify(issued)
    documents = {f["number"] for f in report["findings"] if f["kind"] == "altered" and f["number"].startswith("BTB-")}
    assert status == 1 and len(documents) == 1  # the document's own hash covers its parties


def test_a_document_issued_before_parties_were_kept_reads_them_and_says_so(engine: Engine) -> None:
    engine.ingest(*history())
    engine.advance(date(2026, 5, 31))
    ledger = read_ledger(engine.app)
    doc: IssuedDocument = ledger.documents()[0]
    doc.seller = doc.buyer = None  # as a document stored before this change reads
    parties = parties_json(doc, ledger, engine.identities)
    assert parties["seller"]["name"] == "BTBCONNECT" and parties["buyer"]["client_id"] == doc.client_id
    assert "issued before documents kept them" in parties["parties"]
    assert json.dumps(parties, ensure_ascii=False)
