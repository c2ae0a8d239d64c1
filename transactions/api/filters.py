"""Query filters of the sessions, tokens, reservations and charging-profiles lists (django-filter)."""

import django_filters as filters

from transactions.choices import ReservationStatus, TokenStatus, TokenType, TransactionStatus
from transactions.models import ChargingProfile, IdToken, MeterValue, Reservation, Transaction


class TransactionFilter(filters.FilterSet):
    station = filters.CharFilter(field_name="station__station_id", help_text="Station id, exactly.")
    token = filters.CharFilter(field_name="id_token_value", help_text="Id token value as presented, exactly.")
    started_after = filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte",
                                              help_text="Started at or after (ISO 8601).")
    started_before = filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt",
                                               help_text="Started before (ISO 8601).")
    status = filters.ChoiceFilter(choices=TransactionStatus.choices)
    stale = filters.BooleanFilter(help_text="Active but silent for longer than TRANSACTION_STALE_AFTER.")
    orphan = filters.BooleanFilter(help_text="Known only from messages after its start.")
    evse_id = filters.NumberFilter()

    class Meta:
        model = Transaction
        fields = ["station", "token", "started_after", "started_before", "status", "stale", "orphan", "evse_id"]


class MeterValueFilter(filters.FilterSet):
    measurand = filters.CharFilter(help_text="e.g. Energy.Active.Import.Register, Power.Active.Import.")
    phase = filters.CharFilter()
    after = filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    before = filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta:
        model = MeterValue
        fields = ["measurand", "phase", "after", "before"]


class IdTokenFilter(filters.FilterSet):
    value = filters.CharFilter(lookup_expr="iexact", help_text="Exactly, without regard to case (as stations match).")
    status = filters.ChoiceFilter(choices=TokenStatus.choices)
    type = filters.ChoiceFilter(choices=TokenType.choices)
    owner = filters.CharFilter(lookup_expr="icontains")
    parent = filters.CharFilter(field_name="parent__value", help_text="The group token's value: its members.")

    class Meta:
        model = IdToken
        fields = ["value", "status", "type", "owner", "parent"]


class ReservationFilter(filters.FilterSet):
    station = filters.CharFilter(field_name="station__station_id")
    token = filters.CharFilter(field_name="id_token_value")
    status = filters.ChoiceFilter(choices=ReservationStatus.choices)
    evse_id = filters.NumberFilter()
    expires_after = filters.IsoDateTimeFilter(field_name="expires_at", lookup_expr="gte")
    expires_before = filters.IsoDateTimeFilter(field_name="expires_at", lookup_expr="lt")

    class Meta:
        model = Reservation
        fields = ["station", "token", "status", "evse_id", "expires_after", "expires_before"]


class ChargingProfileFilter(filters.FilterSet):
    station = filters.CharFilter(field_name="station__station_id")
    evse_id = filters.NumberFilter()
    status = filters.ChoiceFilter(choices=ChargingProfile._meta.get_field("status").choices)
    purpose = filters.ChoiceFilter(choices=ChargingProfile._meta.get_field("purpose").choices)
    transaction = filters.NumberFilter(field_name="transaction_id")

    class Meta:
        model = ChargingProfile
        fields = ["station", "evse_id", "status", "purpose", "transaction"]
