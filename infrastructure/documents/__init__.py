"""Issued documents as files for people and machines: the Factur-X XML and the PDF/A-3."""
