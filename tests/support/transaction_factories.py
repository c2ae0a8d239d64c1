"""factory_boy factories for the transactions app."""

import factory
from django.utils import timezone

from tests.support.factories import StationFactory
from transactions.choices import TokenStatus, TokenType, TransactionStatus
from transactions.models import IdToken, Transaction


class IdTokenFactory(factory.django.DjangoModelFactory):
    """An Accepted ISO14443 card, one session at a time, no expiry."""

    class Meta:
        model = IdToken
        django_get_or_create = ("value",)

    value = factory.Sequence(lambda n: f"TAG{n:05d}")
    type = TokenType.ISO14443
    status = TokenStatus.ACCEPTED


class TransactionFactory(factory.django.DjangoModelFactory):
    """An active 1.6 session on connector 1 that started with 0 Wh."""

    class Meta:
        model = Transaction

    station = factory.SubFactory(StationFactory)
    ocpp_version = "1.6"
    evse_id = 1
    connector_id = 1
    status = TransactionStatus.ACTIVE
    id_token = factory.SubFactory(IdTokenFactory)
    id_token_value = factory.SelfAttribute("id_token.value")
    started_at = factory.LazyFunction(timezone.now)
    meter_start_wh = 0
    last_message_at = factory.LazyFunction(timezone.now)
