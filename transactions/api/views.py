"""Sessions (read, close), id tokens (CRUD, block, bulk import), reservations and charging profiles (read).

Viewers read; operators write (csms.api.permissions.RolePermission, the default). New reservations and
charging profiles are commands: POST /api/v1/commands/ with ReserveNow or SetChargingProfile.
"""

from __future__ import annotations

import io

from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from csms.api.pagination import CursorPagination
from csms.exceptions import CsmsError
from transactions import selectors
from transactions.api import filters
from transactions.api.serializers import (
    ChargingProfileSerializer,
    CloseSerializer,
    IdTokenSerializer,
    IdTokenUpdateSerializer,
    IdTokenWriteSerializer,
    ImportResultSerializer,
    MeterValueSerializer,
    ReservationSerializer,
    TransactionDetailSerializer,
    TransactionSerializer,
)
from transactions.choices import TokenStatus
from transactions.models import ChargingProfile, IdToken, MeterValue, Reservation, Transaction
from transactions.services import IdTokenSpec, provision_token, spec_from_text
from transactions.services.sessions import close_transaction
from transactions.services.token_provisioning import COLUMNS, TOO_MANY_CELLS, CsvFileError, read_token_csv
from transactions.services.tokens import find_token

IMPORT_MAX_ROWS = 10_000
IMPORT_MAX_ERRORS = 100


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The current state refuses this."
    default_code = "conflict"


class CSVParser(parsers.BaseParser):
    """A `text/csv` body, handed over as bytes (decoded by the import)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        return stream.read()


class TransactionViewSet(viewsets.ReadOnlyModelViewSet):
    """Charging sessions, newest start first; filter by station, token, start time, status, stale, orphan."""

    queryset = Transaction.objects.select_related("station").order_by(F("started_at").desc(nulls_last=True), "-id")
    filterset_class = filters.TransactionFilter
    ordering_fields = ["started_at", "ended_at", "energy_wh", "last_message_at", "id"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return TransactionDetailSerializer
        if self.action == "close":
            return CloseSerializer
        return TransactionSerializer

    @extend_schema(request=CloseSerializer, responses={200: TransactionDetailSerializer},
                   summary="Close a session the station never ended (operators)")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        session = self.get_object()
        body = CloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            closed = close_transaction(transaction_id=session.pk, by=request.user.get_username(),
                                       reason=body.validated_data["reason"], at=timezone.now())
        if closed is None:
            raise Conflict(f"transaction {session.pk} has already ended")
        return Response(TransactionDetailSerializer(selectors.transaction_detail(session.pk)).data)


class MeterValueCursor(CursorPagination):
    ordering = ("timestamp", "id")


class MeterValueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A session's meter values in time order, a page at a time (cursor); filter by measurand, phase, time."""

    serializer_class = MeterValueSerializer
    filterset_class = filters.MeterValueFilter
    pagination_class = MeterValueCursor
    filter_backends = [DjangoFilterBackend]  # the cursor fixes the order; nothing to search
    queryset = MeterValue.objects.none()  # for the schema

    def get_queryset(self):
        pk = self.kwargs["transaction_pk"]
        if not Transaction.objects.filter(pk=pk).exists():
            raise Http404
        return MeterValue.objects.filter(transaction_id=pk)


TOKEN_EXAMPLE = OpenApiExample("A card", value={"value": "04A2B3C4D5", "owner": "fleet 7", "max_concurrent": 2})


@extend_schema_view(
    create=extend_schema(request=IdTokenWriteSerializer, responses={201: IdTokenSerializer}, examples=[TOKEN_EXAMPLE]),
    update=extend_schema(request=IdTokenUpdateSerializer, responses={200: IdTokenSerializer},
                         description="Replace the settings; fields left out return to their defaults."),
    partial_update=extend_schema(request=IdTokenUpdateSerializer, responses={200: IdTokenSerializer},
                                 description="Change the fields given; the rest keep what is stored."),
)
class IdTokenViewSet(viewsets.ModelViewSet):
    """Id tokens. Writes go through the same provisioning rules as `manage.py add_idtoken` / `import_idtokens`."""

    queryset = selectors.token_list(selectors.TokenFilters())
    serializer_class = IdTokenSerializer
    filterset_class = filters.IdTokenFilter
    search_fields = ["value", "owner"]
    ordering_fields = ["value", "created_at", "updated_at", "status"]

    def get_serializer_class(self):
        if self.action == "create":
            return IdTokenWriteSerializer
        if self.action in ("update", "partial_update"):
            return IdTokenUpdateSerializer
        return IdTokenSerializer

    def _answer(self, token: IdToken, code: int = status.HTTP_200_OK) -> Response:
        return Response(IdTokenSerializer(self.get_queryset().get(pk=token.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        body = IdTokenWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        spec = body.spec()
        with transaction.atomic():
            existing = find_token(spec.value)
            if existing is not None:
                raise Conflict(f"id token {existing.value} exists: PATCH /id-tokens/{existing.pk}/ changes it")
            token, _ = provision_token(spec=spec)
        return self._answer(token, status.HTTP_201_CREATED)

    def update(self, request, *args, partial: bool = False, **kwargs):
        token = self.get_object()
        body = IdTokenUpdateSerializer(token, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            token, _ = provision_token(spec=body.spec(value=token.value, replace=not partial))
        return self._answer(token)

    def _set_status(self, status_: TokenStatus) -> Response:
        token = self.get_object()
        with transaction.atomic():
            token, _ = provision_token(spec=IdTokenSpec(value=token.value, status=status_))
        return self._answer(token)

    @extend_schema(request=None, responses={200: IdTokenSerializer}, summary="Block a token (operators)")
    @action(detail=True, methods=["post"])
    def block(self, request, pk=None):
        return self._set_status(TokenStatus.BLOCKED)

    @extend_schema(request=None, responses={200: IdTokenSerializer}, summary="Accept a token again (operators)")
    @action(detail=True, methods=["post"])
    def unblock(self, request, pk=None):
        return self._set_status(TokenStatus.ACCEPTED)

    @extend_schema(
        summary="Create or update many tokens at once: all rows or none (operators)",
        description=(
            "Either a JSON list of token objects (as for create; a field left out keeps what is stored), or a CSV "
            f"file (multipart field `file`, or a `text/csv` body) with a header row of: {', '.join(COLUMNS)} "
            "(as `manage.py import_idtokens`). A parent must exist or come on an earlier row. Errors name the row: "
            "`<index>.<field>` (JSON, from 0) or `line.<n>.<field>` (CSV line number, the header is line 1)."),
        request={"application/json": IdTokenWriteSerializer(many=True),
                 "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string",
                                                                                   "format": "binary"}}},
                 "text/csv": {"type": "string"}},
        responses={200: ImportResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import",
            parser_classes=[parsers.JSONParser, parsers.MultiPartParser, CSVParser])
    def bulk_import(self, request):
        rows = _csv_rows(request) if request.content_type.startswith(("multipart/", "text/csv")) else _json_rows(
            request.data)
        if len(rows) > IMPORT_MAX_ROWS:
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [f"at most {IMPORT_MAX_ROWS} rows per import"]})
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        errors: dict[str, list[str]] = {}
        with transaction.atomic():
            for where, make_spec in rows:
                try:
                    _, outcome = provision_token(spec=make_spec())
                except CsmsError as exc:
                    errors[f"{where}.{exc.field or 'value'}"] = [str(exc)]
                except ValidationError as exc:
                    for field, messages in exc.detail.items():
                        errors[f"{where}.{field}"] = [str(m) for m in messages]
                else:
                    counts[outcome] += 1
                if len(errors) >= IMPORT_MAX_ERRORS:
                    break
            if errors:
                raise ValidationError(errors)  # inside the block: nothing of the import stays
        return Response(counts)


def _json_rows(data) -> list:
    if not isinstance(data, list):
        raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: ["send a JSON list of tokens, or a CSV file"]})

    def spec_of(item):
        def make():
            body = IdTokenWriteSerializer(data=item)
            body.is_valid(raise_exception=True)
            return body.spec()
        return make

    return [(str(index), spec_of(item)) for index, item in enumerate(data)]


def _csv_rows(request) -> list:
    if request.content_type.startswith("multipart/"):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["attach the CSV file as `file`"]})
        raw = upload.read()
    else:
        raw = request.data if isinstance(request.data, bytes) else b""
    try:
        lines = read_token_csv(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": [f"cannot read the CSV: {exc}"]}) from None
    except CsvFileError as exc:
        raise ValidationError({f"line.{exc.line}": [str(exc)]} if exc.line else
                              {"file": [f"cannot read the CSV: {exc}"]}) from None

    def spec_of(row):
        def make():
            if None in row:  # DictReader's key for cells beyond the header
                raise ValidationError({"value": [TOO_MANY_CELLS]})
            return spec_from_text(row)
        return make

    return [(f"line.{line}", spec_of(row)) for line, row in lines]


class ReservationViewSet(viewsets.ReadOnlyModelViewSet):
    """Reservations as stations answered ReserveNow. To reserve: POST /api/v1/commands/ with action ReserveNow."""

    queryset = Reservation.objects.select_related("station")
    serializer_class = ReservationSerializer
    filterset_class = filters.ReservationFilter
    ordering_fields = ["created_at", "expires_at", "id"]


class ChargingProfileViewSet(viewsets.ReadOnlyModelViewSet):
    """Charging profiles sent or reported. To set one: POST /api/v1/commands/ with action SetChargingProfile."""

    queryset = ChargingProfile.objects.select_related("station")
    serializer_class = ChargingProfileSerializer
    filterset_class = filters.ChargingProfileFilter
    ordering_fields = ["created_at", "stack_level", "id"]

