"""An issued document as a readable A4 PDF in French (WeasyPrint, PDF/A-3b) with its Factur-X
XML embedded by the `factur-x` library (`factur-x.xml`, relationship Data, Factur-X XMP).

The same document always gives the same bytes, so auditors can hash it: WeasyPrint writes what it
is given but for the fonts it embeds, whose timestamp fontTools takes from SOURCE_DATE_EPOCH (the
reproducible-builds convention), and the factur-x library's timestamps (it reads the clock): both
are the document's issue date while it renders.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import facturx
import facturx.facturx as facturx_module
import weasyprint

from infrastructure.documents.facturx_xml import facturx_xml
from infrastructure.documents.html import document_html


def document_pdf(row: dict[str, Any], catalog: Any) -> bytes:
    xml = facturx_xml(row, catalog.get(row["terms"]))
    issued = datetime.fromisoformat(row["issued_on"]).replace(tzinfo=timezone.utc)
    with clock_at(issued):
        pdf = weasyprint.HTML(string=document_html(row)).write_pdf(pdf_variant="pdf/a-3b")
        return facturx.generate_from_binary(pdf, xml, flavor="factur-x", level="en16931", check_xsd=False,
                                            pdf_metadata={"author": row["seller"].get("name") or "",
                                                          "keywords": "Factur-X, EN 16931",
                                                          "title": f"{row['mentions']['title']} {row['number']}",
                                                          "subject": f"{row['mentions']['title']} {row['number']}"},
                                            lang="fr-FR", xmp_compression=False)


class _IssueDay(datetime):
    moment: datetime

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # noqa: D102 - the library asks the time of the PDF's metadata
        return cls.moment if tz is None else cls.moment.astimezone(tz)


_CLOCK = threading.Lock()  # the API renders in worker threads: one embedding at a time


@contextlib.contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """The fonts' and the factur-x library's clocks set to `moment` (neither takes it as a parameter)."""
    with _CLOCK:
        saved, epoch = facturx_module.datetime, os.environ.get("SOURCE_DATE_EPOCH")
        facturx_module.datetime = type("IssueDay", (_IssueDay,), {"moment": moment})
        os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
        try:
            yield
        finally:
            facturx_module.datetime = saved
            if epoch is None:
                os.environ.pop("SOURCE_DATE_EPOCH")
            else:
                os.environ["SOURCE_DATE_EPOCH"] = epoch
