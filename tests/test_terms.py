"""Terms versions as data (INTERPRETATION.md): shipped files, malformed files, derived files."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.appointments import Appointment
from domain.base import Stamp
from domain.btb_billing import BtbBook, btb_drafts
from domain.clients import Client
from domain.errors import AnomalyWindowClosed, TermsError
from domain.subscriptions import Subscription
from infrastructure.terms_files import TermsLibrary, builtin_files, load_catalog

PARIS = ZoneInfo("Europe/Paris")
BTB = "CGPS20260208-2"
ETS = "CGV-2025-09-02"
RECORDED = datetime(2030, 1, 1, tzinfo=timezone.utc)


def shipped_text(reference: str) -> str:
    (path,) = [p for p in builtin_files() if p.name == f"{reference}.toml"]
    return path.read_text(encoding="utf-8")


def library_with_shipped() -> TermsLibrary:
    library = TermsLibrary()
    for path in builtin_files():
        library.add_file(path)
    return library


def write(tmp_path: Path, text: str, name: str = "test.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def btb_copy(reference: str = "TEST-1") -> str:
    """The shipped BTBCONNECT file as a new, standalone version."""
    text = shipped_text(BTB)
    new, count = re.subn(r'(?m)^reference = ".*"$', f'reference = "{reference}"', text)
    assert count == 1
    return new


def drop_table(text: str, header: str) -> str:
    """Removes a `[header]` table and its body, up to the next table."""
    pattern = re.compile(rf"(?ms)^\[{re.escape(header)}\]\n.*?(?=^\[|\Z)")
    new = pattern.sub("", text)
    assert new != text
    return new


# --- shipped versions ---------------------------------------------------------------------


def test_shipped_versions_load() -> None:
    references = load_catalog().references()
    assert BTB in references
    assert ETS in references


def test_in_force_on_a_date() -> None:
    catalog = load_catalog()
    assert catalog.in_force("btbconnect", date(2026, 5, 1)).reference == BTB
    assert catalog.in_force("btbconnect", date(2026, 4, 8)).reference == BTB  # "08/04/2026"
    assert catalog.in_force("etincelle", date(2026, 5, 1)).reference == ETS
    assert catalog.in_force("etincelle", date(2025, 9, 2)).reference == ETS


@pytest.mark.parametrize("day", [date(2026, 4, 7), date(2026, 1, 1), date(2020, 6, 15)])
def test_no_btbconnect_version_before_8_april_2026(day: date) -> None:
    with pytest.raises(TermsError):
        load_catalog().in_force("btbconnect", day)


def test_no_etincelle_version_before_2_september_2025() -> None:
    with pytest.raises(TermsError):
        load_catalog().in_force("etincelle", date(2025, 9, 1))


def test_unknown_reference_refused() -> None:
    with pytest.raises(TermsError) as exc:
        load_catalog().get("CGPS-NOPE")
    assert "CGPS-NOPE" in str(exc.value)


def test_reference_of_the_other_provider_refused() -> None:
    with pytest.raises(TermsError):
        load_catalog().get_for("btbconnect", ETS)


def test_shipped_btbconnect_parameters() -> None:
    terms = load_catalog().get(BTB)
    assert terms.provider == "btbconnect"
    assert terms.effective_from == date(2026, 4, 8)
    expected = {"START": (2, "169.00"), "GROW": (3, "159.00"), "DEV": (4, "149.00"),
                "SCALE": (5, "129.00")}
    assert {p: (v.included, v.extra_price) for p, v in terms.plans.items()} == {
        p: (n, Decimal(price)) for p, (n, price) in expected.items()
    }
    assert terms.validation.anomaly_window_jours_ouvrables == 5
    assert (terms.commitment.minimum_periods, terms.commitment.notice_days) == (3, 15)
    assert (terms.multicanal.minimum_periods, terms.multicanal.notice_days) == (3, 15)
    assert (terms.prepayment.periods, terms.prepayment.discount_percent) == (3, Decimal(10))
    assert (terms.starter_pack.appointments, terms.starter_pack.price_ttc) == (10, Decimal("1790.00"))
    assert terms.breach.remedy_days == 15
    assert terms.vat.standard_rate_on(date(2026, 5, 1)) == Decimal(20)
    assert terms.vat.exempt_mention == "TVA non applicable – article 261 C du Code général des impôts"
    assert terms.payment_due_days == 0
    # L441-10 / D441-5: ECB rate + 10 points, 40 € recovery fee.
    assert terms.late_payment.ecb_multiplier == 1
    assert terms.late_payment.points == 10
    assert terms.late_payment.recovery_fee == Decimal("40.00")


def test_shipped_etincelle_parameters() -> None:
    terms = load_catalog().get(ETS)
    assert terms.provider == "etincelle"
    assert terms.effective_from == date(2025, 9, 2)
    assert terms.vat_mention == "TVA non applicable, article 293 B du CGI"
    assert terms.minimum_client_age == 18
    assert terms.cancellation.notice_hours == 72
    assert terms.sap.eligible_places == ["home"]
    assert terms.avance_immediate.credit_percent == 50
    assert terms.avance_immediate.validation_hours == 48
    # 3 × ECB + 10 points, as written in the CGV art. 9; 40 € fee; 365-day year.
    assert terms.late_payment.ecb_multiplier == 3
    assert terms.late_payment.points == 10
    assert terms.late_payment.recovery_fee == Decimal("40.00")
    assert terms.late_payment.day_count == 365


def test_a_standalone_copy_loads(tmp_path: Path) -> None:
    terms = TermsLibrary().add_file(write(tmp_path, btb_copy("TEST-1")))
    assert terms.reference == "TEST-1"
    assert terms.plans["GROW"].extra_price == Decimal("159.00")


# --- malformed files ----------------------------------------------------------------------


def _refused(tmp_path: Path, text: str, *words: str) -> str:
    with pytest.raises(TermsError) as exc:
        TermsLibrary().add_file(write(tmp_path, text))
    message = str(exc.value)
    for word in words:
        assert word in message, message
    return message


def test_missing_plan(tmp_path: Path) -> None:
    _refused(tmp_path, drop_table(btb_copy(), "plans.DEV"), "plans", "DEV")


def test_missing_table(tmp_path: Path) -> None:
    _refused(tmp_path, drop_table(btb_copy(), "breach"), "breach")


def test_missing_field(tmp_path: Path) -> None:
    text = btb_copy().replace("anomaly_window_jours_ouvrables = 5\n", "")
    _refused(tmp_path, text, "anomaly_window_jours_ouvrables")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('[plans.GROW]\nincluded = 3\nextra_price = "159.00"',
         '[plans.GROW]\nincluded = 3\nextra_price = "-159.00"', "extra_price"),
        ('[plans.GROW]\nincluded = 3\n', '[plans.GROW]\nincluded = -3\n', "included"),
        ('[plans.GROW]\nincluded = 3\nextra_price = "159.00"',
         '[plans.GROW]\nincluded = 3\nextra_price = "159.001"', "extra_price"),
        ('[plans.GROW]\nincluded = 3\nextra_price = "159.00"',
         '[plans.GROW]\nincluded = 3\nextra_price = "cent"', "extra_price"),
        ('price_ttc = "1790.00"', 'price_ttc = "-1790.00"', "price_ttc"),
        ("anomaly_window_jours_ouvrables = 5", "anomaly_window_jours_ouvrables = -1",
         "anomaly_window_jours_ouvrables"),
        ("remedy_days = 15", "remedy_days = -15", "remedy_days"),
        ('discount_percent = "10"', 'discount_percent = "110"', "discount_percent"),
        ('discount_percent = "10"', 'discount_percent = "-10"', "discount_percent"),
        ("minimum_periods = 3\nnotice_days = 15\n\n[prepayment]",
         "minimum_periods = 0\nnotice_days = 15\n\n[prepayment]", "minimum_periods"),
        ('standard_rates = [{ rate = "20", since = 2014-01-01 }]',
         'standard_rates = [{ rate = "-20", since = 2014-01-01 }]', "rate"),
        ("effective_from = 2026-04-08", 'effective_from = "le 8 avril"', "effective_from"),
        ('provider = "btbconnect"', 'provider = "acme"', "provider"),
    ],
)
def test_bad_value(tmp_path: Path, old: str, new: str, field: str) -> None:
    text = btb_copy()
    assert old in text
    _refused(tmp_path, text.replace(old, new, 1), field)


def test_unknown_top_level_field(tmp_path: Path) -> None:
    text = btb_copy().replace('invoice_prefix = "BTB"', 'invoice_prefix = "BTB"\ncolour = "blue"')
    _refused(tmp_path, text, "colour")


def test_unknown_field_in_a_table(tmp_path: Path) -> None:
    text = btb_copy().replace("remedy_days = 15", "remedy_days = 15\ngrace_days = 3")
    _refused(tmp_path, text, "grace_days")


def test_unknown_plan(tmp_path: Path) -> None:
    text = btb_copy() + '\n[plans.PREMIUM]\nincluded = 8\nextra_price = "99.00"\n'
    _refused(tmp_path, text, "PREMIUM")


@pytest.mark.parametrize(
    "text",
    ['provider = "btbconnect"\nreference = ', "[plans.GROW\nincluded = 3\n",
     'reference = "A"\nreference = "B"\n', "this is not toml at all"],
)
def test_bad_toml(tmp_path: Path, text: str) -> None:
    message = _refused(tmp_path, text)
    assert "test.toml" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TermsError):
        TermsLibrary().add_file(tmp_path / "nowhere.toml")


def test_load_catalog_refuses_a_bad_extra_file(tmp_path: Path) -> None:
    path = write(tmp_path, drop_table(btb_copy(), "plans.START"))
    with pytest.raises(TermsError) as exc:
        load_catalog([path])
    assert "START" in str(exc.value)


def test_same_reference_twice_refused(tmp_path: Path) -> None:
    with pytest.raises(TermsError) as exc:
        load_catalog([write(tmp_path, btb_copy(BTB))])
    assert BTB in str(exc.value)


# --- derived versions ---------------------------------------------------------------------

DERIVED = """\
derived_from = "CGPS20260208-2"
reference = "CGPS-AUDIT-1"

[plans.GROW]
extra_price = "139.00"

[validation]
anomaly_window_jours_ouvrables = 3
"""


def test_derived_file_inherits_every_other_parameter(tmp_path: Path) -> None:
    library = library_with_shipped()
    derived = library.add_file(write(tmp_path, DERIVED, "derived.toml"))
    base = library.catalog().get(BTB)

    assert derived.reference == "CGPS-AUDIT-1"
    assert derived.derived_from == BTB
    assert derived.plans["GROW"].extra_price == Decimal("139.00")
    assert derived.plans["GROW"].included == 3  # merged within the table, not replaced
    assert derived.validation.anomaly_window_jours_ouvrables == 3
    assert derived.validation.article == base.validation.article

    expected = base.model_dump()
    expected["reference"] = "CGPS-AUDIT-1"
    expected["derived_from"] = BTB
    expected["plans"]["GROW"]["extra_price"] = Decimal("139.00")
    expected["validation"]["anomaly_window_jours_ouvrables"] = 3
    assert derived.model_dump() == expected


def test_derived_file_leaves_its_base_unchanged(tmp_path: Path) -> None:
    library = library_with_shipped()
    library.add_file(write(tmp_path, DERIVED, "derived.toml"))
    catalog = library.catalog()
    base = catalog.get(BTB)
    assert base.plans["GROW"].extra_price == Decimal("159.00")
    assert base.validation.anomaly_window_jours_ouvrables == 5
    assert set(catalog.references()) >= {BTB, ETS, "CGPS-AUDIT-1"}


def test_derived_file_through_load_catalog(tmp_path: Path) -> None:
    catalog = load_catalog([write(tmp_path, DERIVED, "derived.toml")])
    assert catalog.get("CGPS-AUDIT-1").plans["GROW"].extra_price == Decimal("139.00")
    assert catalog.get("CGPS-AUDIT-1").plans["DEV"].extra_price == Decimal("149.00")


def test_derived_from_a_derived_version(tmp_path: Path) -> None:
    library = library_with_shipped()
    library.add_file(write(tmp_path, DERIVED, "derived.toml"))
    second = library.add_file(write(tmp_path, (
        'derived_from = "CGPS-AUDIT-1"\nreference = "CGPS-AUDIT-2"\n'
        '[commitment]\nnotice_days = 30\n'
    ), "derived2.toml"))
    assert second.commitment.notice_days == 30
    assert second.commitment.minimum_periods == 3
    assert second.plans["GROW"].extra_price == Decimal("139.00")
    assert second.validation.anomaly_window_jours_ouvrables == 3


def test_derived_from_unknown_base_refused(tmp_path: Path) -> None:
    with pytest.raises(TermsError) as exc:
        library_with_shipped().add_file(write(tmp_path, DERIVED.replace(BTB, "CGPS-NOPE")))
    assert "CGPS-NOPE" in str(exc.value)


def test_derived_file_with_a_bad_change_refused(tmp_path: Path) -> None:
    text = DERIVED.replace('"139.00"', '"-139.00"')
    with pytest.raises(TermsError) as exc:
        library_with_shipped().add_file(write(tmp_path, text))
    assert "extra_price" in str(exc.value)


def test_derived_file_with_an_unknown_field_refused(tmp_path: Path) -> None:
    text = DERIVED + "\n[breach]\ngrace_days = 3\n"
    with pytest.raises(TermsError) as exc:
        library_with_shipped().add_file(write(tmp_path, text))
    assert "grace_days" in str(exc.value)


def test_derived_version_in_force_from_its_date(tmp_path: Path) -> None:
    text = DERIVED + "\n"
    text = text.replace('reference = "CGPS-AUDIT-1"',
                        'reference = "CGPS-AUDIT-1"\neffective_from = 2026-09-01')
    catalog = load_catalog([write(tmp_path, text)])
    assert catalog.in_force("btbconnect", date(2026, 8, 31)).reference == BTB
    assert catalog.in_force("btbconnect", date(2026, 9, 1)).reference == "CGPS-AUDIT-1"


def test_billing_under_a_derived_version(tmp_path: Path) -> None:
    """Replaying history under the derived version: extras at 139.00, a 3-day window."""
    catalog = load_catalog([write(tmp_path, DERIVED, "derived.toml")])
    terms = catalog.get("CGPS-AUDIT-1")
    client = Client.register("c1", "btbconnect", "Agence", {}, Stamp(datetime(2026, 5, 1, tzinfo=PARIS), RECORDED))
    sub = Subscription.start(subscription_id="s1", client_id="c1", plan="GROW",
                             monthly_fee=Decimal("590.00"), prepaid_quarterly=False,
                             terms="CGPS-AUDIT-1", stamp=Stamp(datetime(2026, 5, 4, 9, tzinfo=PARIS), RECORDED))
    appts = []
    for n, day in enumerate([5, 6, 7, 11, 13]):
        starts = datetime(2026, 5, day, 10, tzinfo=PARIS)
        a = Appointment.schedule(f"a{n}", "c1", starts, "s1", None, Stamp(starts - timedelta(days=2), RECORDED))
        a.honour(Stamp(starts + timedelta(hours=1), RECORDED))
        appts.append(a)
    # 13 May → (14 Ascension) 15, 16, 18: the window closes at the end of 18 May.
    last = appts[-1]
    assert last.validated_at(terms) == datetime(2026, 5, 18, 23, 59, 59, 999999, tzinfo=PARIS)
    with pytest.raises(AnomalyWindowClosed):
        last.declare_anomaly("x", Stamp(datetime(2026, 5, 19, 9, tzinfo=PARIS), RECORDED), terms)

    drafts = btb_drafts(BtbBook(client, None, [sub], appts), catalog.get, date(2026, 5, 31))
    extras = [l for d in drafts for l in d.lines if l.code == "extra_appointments"]
    assert [(l.quantity, l.unit_price, l.total_ttc) for l in extras] == [
        (2, Decimal("139.00"), Decimal("278.00")),
    ]
    assert all(d.terms == "CGPS-AUDIT-1" for d in drafts)
