"""Factur-X EN 16931 (issue 14): the XML of every document kind, validated by the Factur-X XSD
(the `factur-x` library, on generation) and by the EN 16931 schematron shipped with it, run by
saxonche, zero failed assertion; its totals equal the engine's JSON to the cent; and the PDF/A-3
through `billing document`: the same bytes twice, the XML read back out of it, a page that is
not blank (pdftoppm). On both backends."""

from __future__ import annotations

import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from lxml import etree

from infrastructure.documents.facturx_xml import facturx_xml
from infrastructure.provider_files import load_identities
from tests.billing_cli import billing_json, jsonl, run_billing
from tests.facturx_validation import schematron_failures
from tests.http_facts import Api
from tests.http_server import running_server
from application.penalties import PenaltyService
from infrastructure.ecb_rates import load_ecb_rates
from tests.services import RECORDED_AT, Engine
from tests.test_btb_scenario import fact
from tests.test_btb_scenario import history as btb_history
from tests.test_etincelle_scenario import history as ets_history

SHIPPED = Path(__file__).parent.parent / "infrastructure" / "providers_data"
NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
      "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"}


def filled_identities(folder: Path):
    """L'Étincelle's file once the provider filled in what its CGV leave "[à compléter]"."""
    text = (SHIPPED / "etincelle.toml").read_text(encoding="utf-8").replace(
        'missing = ["siret", "address", "sap_declaration"]',
        'siret = "12345678200010"\nsap_declaration = "SAP123456782"\n'
        '[version.address]\nline1 = "1 rue de la Paix"\npostal_code = "05000"\ncity = "Gap"')
    (folder / "etincelle.toml").write_text(text, encoding="utf-8")
    return load_identities([SHIPPED / "btbconnect.toml", folder / "etincelle.toml"])


@pytest.fixture
def every_kind(engine: Engine, tmp_path: Path) -> list[dict]:
    """Both scenarios, a late cancellation (credit notes) and a penalty invoice."""
    engine.identities = engine.ingest_service.identities = filled_identities(tmp_path)
    start = [fact("c", "client.registered", "2026-05-01T09:00:00+02:00", client_id="C1", provider="btbconnect",
                  name="Cabinet"),
             fact("s", "subscription.started", "2026-05-04T09:00:00+02:00", subscription_id="S1", client_id="C1",
                  plan="START", monthly_fee="390.00")]
    engine.ingest(*btb_history(), *ets_history(), *start)
    engine.advance(date(2026, 9, 30))
    # Notified on 15 June, reported late: the periods billed after 4 August are credited.
    engine.ingest(fact("late", "subscription.cancellation_notified", "2026-06-15T10:00:00+02:00", subscription_id="S1"))
    engine.advance(date(2026, 10, 2))
    PenaltyService(engine.app, engine.catalog, load_ecb_rates(), lambda: RECORDED_AT, engine.identities).invoice(
        "C-ALPHA", date(2026, 10, 2))
    return engine.invoices()


def text(xml: etree._Element, path: str) -> str:
    return xml.xpath(f"string({path})", namespaces=NS)


def test_every_document_kind_passes_the_en16931_schematron(engine: Engine, every_kind: list[dict]) -> None:
    kinds = {line["code"] for doc in every_kind for line in doc["lines"]} | {doc["kind"] for doc in every_kind}
    assert {"starter_pack", "subscription_fee", "prepayment_discount", "multicanal", "extra_appointments",
            "session", "parking", "absence", "late_cancellation", "credit_note", "late_penalty", "recovery_fee"} <= kinds
    for doc in every_kind:
        xml = facturx_xml(doc, engine.catalog.get(doc["terms"]))
        assert schematron_failures(xml) == [], doc["number"]
        root = etree.fromstring(xml)
        sums = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
        sign = Decimal(-1) if doc["kind"] == "credit_note" else Decimal(1)  # a 381 states positive amounts
        assert Decimal(text(root, sums + "GrandTotalAmount")) == Decimal(doc["total_ttc"]) * sign
        assert Decimal(text(root, sums + "TaxBasisTotalAmount")) == Decimal(doc["total_ht"]) * sign
        assert Decimal(text(root, sums + "TaxTotalAmount") or "0") == Decimal(doc["total_vat"]) * sign
        assert text(root, "//rsm:ExchangedDocument/ram:TypeCode") == {"invoice": "380", "credit_note": "381"}[doc["kind"]]


def test_the_xml_says_what_the_document_says(engine: Engine, every_kind: list[dict]) -> None:
    docs = {d["number"]: d for d in every_kind}
    prepaid = next(d for d in every_kind if any(line["code"] == "prepayment_discount" for line in d["lines"]))
    quarter = etree.fromstring(facturx_xml(prepaid, engine.catalog.get("CGPS20260208-2")))
    seller = "//ram:SellerTradeParty/"
    assert text(quarter, seller + "ram:SpecifiedLegalOrganization/ram:ID") == "928030329"
    assert quarter.xpath(seller + "ram:SpecifiedLegalOrganization/ram:ID/@schemeID", namespaces=NS) == ["0002"]
    assert text(quarter, seller + "ram:SpecifiedTaxRegistration/ram:ID") == "FR06928030329"
    taxes = {(text(t, "ram:CategoryCode"), text(t, "ram:RateApplicablePercent"), text(t, "ram:ExemptionReasonCode"))
             for t in quarter.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)}
    # 3 × 790.00 − 237.00 exempt (261 C, 2°: insurance intermediaries), Multicanal 250.00 at 20 %.
    assert taxes == {("S", "20", ""), ("E", "0", "VATEX-FR-CGI261C-2")}
    note = next(d for d in every_kind if d["kind"] == "credit_note")
    credit = etree.fromstring(facturx_xml(note, engine.catalog.get(note["terms"])))
    assert text(credit, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == note["refers_to"]["number"]
    session = etree.fromstring(facturx_xml(docs["ETS-2026-00001"], engine.catalog.get("CGV-2025-09-02")))
    penalty = next(d for d in every_kind if d["key"].startswith("penalty:"))
    out_of_scope = etree.fromstring(facturx_xml(penalty, engine.catalog.get(penalty["terms"])))
    assert text(out_of_scope, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == "O"
    assert out_of_scope.xpath(seller + "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']", namespaces=NS) == []
    # BR-O-02: no VAT number on a document outside the scope of VAT
    assert text(session, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReasonCode") \
        == "VATEX-FR-FRANCHISE"  # 293 B


def test_without_the_missing_siret_the_schematron_says_so(engine: Engine) -> None:
    engine.ingest(*ets_history())
    engine.advance(date(2026, 1, 31))
    doc = engine.invoices()[0]
    failures = schematron_failures(facturx_xml(doc, engine.catalog.get(doc["terms"])))
    assert any(f.startswith("BR-CO-26") for f in failures)  # fill it in infrastructure/providers_data/etincelle.toml


def test_the_pdf_is_the_same_twice_and_carries_its_xml(db_url: str, tmp_path: Path) -> None:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(btb_history()), check=False)
    billing_json("advance", "--to", "2026-06-30", db=db_url)
    for name in ("a.pdf", "b.pdf"):
        run_billing("document", "BTB-2026-00004", "--pdf", str(tmp_path / name), db=db_url)
    run_billing("document", "BTB-2026-00004", "--xml", str(tmp_path / "a.xml"), db=db_url)
    pdf = (tmp_path / "a.pdf").read_bytes()
    assert pdf == (tmp_path / "b.pdf").read_bytes() and pdf.startswith(b"%PDF-")
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml" and xml == (tmp_path / "a.xml").read_bytes()
    assert b"pdfaid:part>3<" in pdf or b'pdfaid:part="3"' in pdf
    subprocess.run(["pdftoppm", "-r", "30", "-f", "1", "-l", "1", "-gray", str(tmp_path / "a.pdf"),
                    str(tmp_path / "page")], check=True)
    pixels = next(tmp_path.glob("page*.pgm")).read_bytes().split(b"\n", 3)[3]
    assert min(pixels) < 128  # ink on the page, not a blank one


def test_document_refuses_clearly(db_url: str, tmp_path: Path) -> None:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(btb_history()[:4]), check=False)
    billing_json("advance", "--to", "2026-05-31", db=db_url)
    for args, says in ((["NOPE", "--xml", str(tmp_path / "x.xml")], "no document 'NOPE'"),
                       (["BTB-2026-00001", "--pdf", "/nonexistent/x.pdf"], "cannot write"),
                       (["BTB-2026-00001"], "--xml FILE")):
        result = run_billing("document", *args, db=db_url, check=False)
        assert result.returncode == 1 and says in result.stderr and "Traceback" not in result.stderr


def test_the_api_serves_a_documents_pdf_and_xml_within_its_scope(db_url: str, tmp_path: Path) -> None:
    billing_json("ingest", "-", db=db_url, stdin=jsonl(btb_history()), check=False)
    billing_json("advance", "--to", "2026-05-31", db=db_url)
    with running_server(db_url, tmp_path / "server.log") as base:
        api = Api(base, db_url, tmp_path / "server.log")
        with api.client(api.token("finance", "btbconnect")) as c:
            pdf, xml = c.get("/invoices/BTB-2026-00001/pdf"), c.get("/invoices/BTB-2026-00001/xml")
            paths = c.get("/openapi.json").json()["paths"]
        with api.client(api.token("finance", "etincelle")) as other:
            hidden = other.get("/invoices/BTB-2026-00001/pdf")
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    assert facturx.get_xml_from_pdf(pdf.content, check_xsd=False)[1] == xml.content
    assert xml.headers["content-type"].startswith("application/xml") and b"BTB-2026-00001" in xml.content
    assert hidden.status_code == 404  # the other provider's document is not even said to exist
    assert {"/invoices/{number}/pdf", "/invoices/{number}/xml"} <= set(paths)
