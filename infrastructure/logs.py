"""Structured logs (structlog) on stderr, one JSON object per event."""

from __future__ import annotations

import logging
import os
import sys

import structlog


def configure_logging(default_level: str = "info") -> None:
    level_name = os.environ.get("BILLING_LOG_LEVEL", default_level).upper()
    level = getattr(logging, level_name, logging.INFO)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
