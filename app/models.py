"""Every table, imported in one place so Alembic sees the whole metadata."""

from app.actors.models import Actor
from app.assessment.models import LearnedCopy, LearnedDomain
from app.claims.models import Claim, ClaimLink
from app.events.models import Event
from app.idempotency.models import IdempotencyRecord
from app.incidents.models import Incident
from app.keys.models import ApiKey
from app.revisions.models import Revision, Tombstone
from app.sources.models import Source
from app.topics.models import Topic
from app.views.models import ReadyView, ViewVersion
from app.webhooks.models import Webhook, WebhookDelivery

__all__ = [
    "Actor",
    "ApiKey",
    "Claim",
    "ClaimLink",
    "Event",
    "IdempotencyRecord",
    "Incident",
    "LearnedCopy",
    "LearnedDomain",
    "ReadyView",
    "Revision",
    "Source",
    "Tombstone",
    "Topic",
    "ViewVersion",
    "Webhook",
    "WebhookDelivery",
]
