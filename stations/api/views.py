"""The stations API: stations, connectors, nodes, configuration, device model, connection log and commands.

Views are thin: reads start from the selectors' querysets, writes call the provisioning and command services.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from csms.api.pagination import CursorPagination
from stations import selectors
from stations.api import filters
from stations.api.serializers import (
    CommandRequestSerializer,
    CommandSerializer,
    ConfigurationKeySerializer,
    ConnectionLogSerializer,
    ConnectorSerializer,
    DeviceVariableSerializer,
    NodeSerializer,
    PasswordRotationResultSerializer,
    PasswordRotationSerializer,
    StationSerializer,
    StationWriteSerializer,
    WaitSerializer,
)
from stations.models import ChargingStation, Command, ConfigurationKey, ConnectionLog, Connector, DeviceVariable, Node
from stations.services import StationSpec, issue_command, provision_station, security, wait_for_command
from transactions.choices import TransactionStatus
from transactions.models import Transaction

# A station id is one URL path segment: anything but "/".
STATION_ID = r"[^/]+"
WAIT = OpenApiParameter("wait", OpenApiTypes.NUMBER, description=WaitSerializer().fields["wait"].help_text)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "This conflicts with what is stored."


def _stations():
    """The selector's station list (status annotations, node, connectors) plus the active-session count."""
    active = (Transaction.objects.filter(station=OuterRef("pk"), status=TransactionStatus.ACTIVE).order_by()
              .values("station").annotate(n=Count("pk")).values("n"))
    return selectors.station_list().annotate(
        current_sessions=Coalesce(Subquery(active, output_field=IntegerField()), 0))


@extend_schema_view(
    list=extend_schema(summary="List stations with their connectors and live state"),
    retrieve=extend_schema(summary="One station with its connectors and live state"),
    create=extend_schema(summary="Provision a station (operators)", request=StationWriteSerializer,
                         responses={201: StationSerializer}),
    partial_update=extend_schema(summary="Change a station's settings (operators)", request=StationWriteSerializer,
                                 responses={200: StationSerializer}),
)
class StationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = StationSerializer
    filterset_class = filters.StationFilter
    search_fields = selectors.SEARCHED
    ordering_fields = ["station_id", "name", "vendor", "model", "firmware_version", "ocpp_version", "last_seen",
                       "created_at"]
    lookup_field = "station_id"
    lookup_value_regex = STATION_ID
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return _stations()

    def create(self, request):
        data = StationWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if ChargingStation.objects.filter(station_id=data.validated_data["station_id"]).exists():
            raise Conflict({"station_id": ["A station with this id exists; PATCH it to change it."]})
        station = self._provision(**data.validated_data)
        return Response(self.get_serializer(station).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, station_id: str):
        station = self.get_object()
        data = StationWriteSerializer(station, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(self.get_serializer(self._provision(station_id=station.station_id,
                                                            **data.validated_data)).data)

    def _provision(self, **fields) -> ChargingStation:
        profile = fields.pop("security_profile", None)
        with transaction.atomic():  # a profile refused for want of a password leaves nothing half-provisioned
            station, _ = provision_station(StationSpec(**fields))
            if profile is not None:
                security.set_security_profile(station_id=station.station_id, profile=profile)
        return _stations().get(pk=station.pk)

    @extend_schema(summary="Send the station a new HTTP Basic password (operators)", parameters=[WAIT],
                   request=PasswordRotationSerializer, responses={201: PasswordRotationResultSerializer})
    @action(detail=True, methods=["post"])
    def password(self, request, station_id: str):
        """The new password is returned once; it replaces the old one when the station accepts the command."""
        station = self.get_object()
        data = PasswordRotationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wait = WaitSerializer(data=request.query_params)
        wait.is_valid(raise_exception=True)
        queue_for = data.validated_data["queue_for"]
        with transaction.atomic(durable=True):  # committed before we wait for the answer
            rotation = security.rotate_password(
                station_id=station.station_id, password=data.validated_data.get("password", ""),
                requested_by=request.user.get_username(), queue_for=timedelta(seconds=queue_for) if queue_for else None)
        command = rotation.command
        if command is not None and wait.validated_data["wait"] and not command.final:
            command = wait_for_command(command.pk, timeout=wait.validated_data["wait"])
        if command is not None and command.final:
            security.settle(station_id=station.station_id)
            command = Command.objects.select_related("station").get(pk=command.pk)
        result = PasswordRotationResultSerializer({"password": rotation.password, "command": command})
        return Response(result.data, status=status.HTTP_201_CREATED)


class ConnectorViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Connector.objects.select_related("station")
    serializer_class = ConnectorSerializer
    filterset_class = filters.ConnectorFilter
    ordering_fields = ["station__station_id", "evse_id", "connector_id", "status", "status_at", "updated_at"]


class NodeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Node.objects.annotate(stations_total=Count("stations"),
                                     stations_online=Count("stations", filter=Q(stations__online=True))
                                     ).order_by("node_id")
    serializer_class = NodeSerializer
    lookup_field = "node_id"
    lookup_value_regex = r"[^/]+"
    search_fields = ["node_id"]
    ordering_fields = ["node_id", "last_heartbeat", "first_heartbeat"]


class ConfigurationKeyViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ConfigurationKey.objects.select_related("station")
    serializer_class = ConfigurationKeySerializer
    filterset_class = filters.ConfigurationKeyFilter
    search_fields = ["key", "value"]
    ordering_fields = ["key", "updated_at"]


class DeviceVariableViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = DeviceVariable.objects.select_related("station")
    serializer_class = DeviceVariableSerializer
    filterset_class = filters.DeviceVariableFilter
    search_fields = ["component", "variable", "value"]
    ordering_fields = ["component", "variable", "evse_id", "updated_at"]


class ConnectionLogViewSet(viewsets.ReadOnlyModelViewSet):
    """Newest first, by cursor: pages stay stable while connects are logged."""

    queryset = ConnectionLog.objects.all()
    serializer_class = ConnectionLogSerializer
    filterset_class = filters.ConnectionLogFilter
    pagination_class = CursorPagination
    search_fields = ["station_ident", "reason", "remote_addr"]
    ordering_fields: list[str] = []  # the cursor fixes the order


@extend_schema_view(
    list=extend_schema(summary="List commands, newest first"),
    retrieve=extend_schema(summary="One command; with ?wait=seconds, once it is final or the time is up",
                           parameters=[WAIT]),
    create=extend_schema(summary="Send a remote operation to a station (operators)", parameters=[WAIT],
                         request=CommandRequestSerializer, responses={201: CommandSerializer}),
)
class CommandViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """POST issues any operation the station's OCPP version defines; the answer is the stored command.

    An offline station: with `queue_for` the command waits for it, else it is final at once (station_offline).
    """

    queryset = Command.objects.select_related("station")
    serializer_class = CommandSerializer
    filterset_class = filters.CommandFilter
    search_fields = ["action", "message_id", "requested_by"]
    ordering_fields = ["created_at", "answered_at", "status", "action"]

    def create(self, request):
        wait = self._wait(request)
        data = CommandRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        with transaction.atomic(durable=True):  # committed (and sent) before we wait for the answer
            command = issue_command(station_id=fields["station"], action=fields["action"], payload=fields["payload"],
                                    requested_by=request.user.get_username(),
                                    queue_for=timedelta(seconds=fields["queue_for"]) if fields["queue_for"] else None)
        if wait and not command.final:
            command = wait_for_command(command.pk, timeout=wait)
        return Response(self.get_serializer(Command.objects.select_related("station").get(pk=command.pk)).data,
                        status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        wait = self._wait(request)
        command = self.get_object()
        if wait and not command.final:
            wait_for_command(command.pk, timeout=wait)
            command = self.get_object()
        return Response(self.get_serializer(command).data)

    @staticmethod
    def _wait(request) -> float:
        params = WaitSerializer(data={"wait": request.query_params["wait"]} if "wait" in request.query_params else {})
        params.is_valid(raise_exception=True)
        return params.validated_data["wait"]
