"""Import every model so that metadata, migrations and relationships see them all."""

from passnum.audit.models import AuditEvent, AuditHead
from passnum.auth.models import ApiToken, User
from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Booklet, Voucher
from passnum.core.models import IdempotentResponse
from passnum.messages.models import OutboxMessage
from passnum.programmes.models import (
    Allocation,
    Departement,
    PriorityPublic,
    Programme,
    ProgrammeQuota,
    Structure,
)
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.statements.models import Statement
from passnum.venues.models import Venue, Workshop, WorkshopBooking, WorkshopTheme

__all__ = [
    "Allocation",
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Beneficiary",
    "Booklet",
    "Departement",
    "IdempotentResponse",
    "OutboxMessage",
    "PriorityPublic",
    "Programme",
    "ProgrammeQuota",
    "Redemption",
    "RedemptionLine",
    "Statement",
    "Structure",
    "User",
    "Venue",
    "Voucher",
    "Workshop",
    "WorkshopBooking",
    "WorkshopTheme",
]
