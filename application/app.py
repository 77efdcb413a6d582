"""The event-sourced application: one store for every aggregate of both providers."""

from __future__ import annotations

from datetime import date

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Transcoding


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class BillingApp(Application):
    # The PostgreSQL table is named after this: billing_events. Never rename it.
    name = "billing"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def close(self) -> None:
        """Also closes what the store's recorder opened for its own reads, if anything."""
        getattr(self.recorder, "close_readers", lambda: None)()
        super().close()
