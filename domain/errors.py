"""One exception tree for every refusal: the message says what the caller can do."""


class BillingError(Exception):
    """A fact or command refused by a rule; nothing was recorded."""


class InvalidFact(BillingError):
    """The fact is malformed (unknown type, missing field, bad format)."""


class NotFound(BillingError):
    """The fact names something the engine has no record of."""


class AlreadyExists(BillingError):
    """The fact would create something that exists already."""


class IdempotencyConflict(BillingError):
    """The same key was used before with other content."""


class WrongProvider(BillingError):
    """The fact mixes a client of one provider with the other provider's services."""


class TermsError(BillingError):
    """A terms version is unknown, malformed or inconsistent."""


class StarterPackAlreadyOrdered(BillingError):
    """CGPS art. 3.2: one Starter Pack per client."""


class StarterPackExhausted(BillingError):
    """The pack's appointments have all been validated."""


class StarterPackNotRefundable(BillingError):
    """CGPS art. 3.3: no refund once the campaign started."""


class AnomalyWindowClosed(BillingError):
    """CGPS art. 1, 7: anomalies are declared within 5 jours ouvrables."""


class AppointmentStateError(BillingError):
    """The appointment is in a state where this fact cannot happen."""


class SubscriptionStateError(BillingError):
    """The subscription is in a state where this fact cannot happen."""


class BreachNoticeRunning(BillingError):
    """CGPS art. 9: suspension or termination only after 15 days without remedy."""


class PaymentError(BillingError):
    """A payment fact that cannot be applied."""


class MinorClient(BillingError):
    """CGV art. 1, 14: L'Étincelle's clients are adults."""


class SessionStateError(BillingError):
    """The tutoring session is in a state where this fact cannot happen."""


class UrssafStateError(BillingError):
    """The client's URSSAF avance immédiate account cannot take this fact."""


class MakeUpNotOwed(BillingError):
    """More make-up time given than the provider's lateness owes."""


class DocumentStateError(BillingError):
    """An issued document cannot take this fact."""


class DatedBeforeOrigin(BillingError):
    """A fact dated before the fact that created what it names."""


class LaterFactConflict(BillingError):
    """A fact that would make a fact recorded for a later business time impossible."""


class ConfigurationError(BillingError):
    """The engine's settings (environment, data files) lack what an operation needs."""
