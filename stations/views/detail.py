"""One station: its page (`station_detail`, which also takes the security part's POSTs), the live fragment it polls
(`station_live`), its timeline with hints, its OCPP message log, and the command form's POST (`station_command`,
operators only).

Each page reads a fixed number of queries whatever the station holds (tests/portal/test_station_detail.py).
Commands go through `issue_command` like the admin's and the API's; the answer is awaited here for a few
seconds and shown as a fragment (htmx), or as a message after a redirect without JavaScript.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from csms.actions import COMMAND_ACTIONS
from csms.exceptions import InvalidCommand, InvalidValue
from csms.roles import can_operate, operator_required
from stations import timeline
from stations.choices import MessageDirection, MessageKind
from stations.forms import CommandForm, PasswordRotationForm, SecurityProfileForm
from stations.models import ChargingStation, Command, OcppMessage
from stations.services import issue_command, operations, security, wait_for_command
from stations.services.command_templates import command_template
from transactions.choices import TransactionStatus
from transactions.models import Transaction
from transactions.services import operations as session_operations

COMMAND_WAIT = 5.0  # seconds the command POST waits for the station's answer
COMMANDS_SHOWN = CONNECTIONS_SHOWN = 20
RECENT_SESSIONS = MESSAGES_SHOWN = 10
DEVICE_ROWS = 2000  # a full 2.0.1 inventory is a few hundred rows; a bound all the same
MESSAGES_PER_PAGE = 50
TIMELINE_PER_PAGE = 100
FORM_FIELD = {"action": "operation", "payload": "parameters"}  # InvalidCommand.field -> form field
QUICK_LABELS = {"reset_soft": "Reset (soft)", "reset_hard": "Reset (hard)", "unlock": "Unlock connector",
                "remote_start": "Remote start", "remote_stop": "Remote stop", "get_configuration":
                "Get configuration / report", "trigger_status": "Trigger status"}


def _pretty(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)


def _templates(version: str) -> dict[str, str]:
    return {action: _pretty(command_template(version, action)) for action in sorted(COMMAND_ACTIONS.get(version, ()))}


def _blank_form(version: str) -> CommandForm:
    actions = COMMAND_ACTIONS.get(version, ())
    operation = "Reset" if "Reset" in actions else next(iter(sorted(actions)), "")
    return CommandForm(version=version, initial={
        "operation": operation, "parameters": _pretty(command_template(version, operation)) if operation else "{}"})


QUICK_BUTTONS = [(key, QUICK_LABELS[key]) for key in ("reset_soft", "reset_hard", "get_configuration",
                                                      "trigger_status")]


def _live_context(station: ChargingStation) -> dict:
    return {
        "station": station,
        "connectors": list(station.connectors.all()),
        "current_sessions": [_with_units(s) for s in Transaction.objects.filter(
            station=station, status=TransactionStatus.ACTIVE).order_by("evse_id", "-started_at")],
        "commands": [_with_answer(c) for c in station.commands.all()[:COMMANDS_SHOWN]],
    }


def _command_context(station: ChargingStation, form: CommandForm) -> dict:
    return {"form": form, "templates": _templates(station.ocpp_version), "quick_buttons": QUICK_BUTTONS,
            "command_wait": COMMAND_WAIT}


def _with_units(session: Transaction) -> Transaction:
    session.energy_kwh = session.energy_wh / 1000 if session.energy_wh is not None else None
    session.power_kw = session.power_w / 1000 if session.power_w is not None else None
    return session


def _with_answer(command: Command) -> Command:
    command.answer = _pretty(command.response) if command.response is not None else ""
    return command


@require_http_methods(["GET", "POST"])
def station_detail(request: HttpRequest, station_id: str) -> HttpResponse:
    station = get_object_or_404(ChargingStation, station_id=station_id)
    security_context = {}
    if request.method == "POST":  # the security part's forms; the page is rendered, not redirected to, so a
        if not can_operate(request.user):  # generated password is shown in this response only
            raise PermissionDenied("operators only")
        security_context = _security_post(request, station)
        station.refresh_from_db()
    version = station.ocpp_version
    context = {
        **_live_context(station),
        "recent_sessions": [_with_units(s) for s in Transaction.objects.filter(station=station)
                            .order_by("-started_at", "-id")[:RECENT_SESSIONS]],
        "configuration_keys": list(station.configuration_keys.all()) if version == "1.6" else [],
        "device_variables": list(station.device_variables.all()[:DEVICE_ROWS]) if version == "2.0.1" else [],
        "connections": list(station.connection_log.all()[:CONNECTIONS_SHOWN]),
        "latest_messages": list(station.ocpp_messages.all()[:MESSAGES_SHOWN]),
        "hints": timeline.station_hints(station),
    }
    if version and can_operate(request.user):
        context |= _command_context(station, _blank_form(version))
    if can_operate(request.user):
        context |= {"profile_form": SecurityProfileForm(initial={"security_profile": station.security_profile}),
                    "password_form": PasswordRotationForm(), **security_context}
    return render(request, "stations/detail.html", context)


def _security_post(request: HttpRequest, station: ChargingStation) -> dict:
    """Set the security profile, or send the station a new password (stations.services.security)."""
    if "security_profile" in request.POST:
        form = SecurityProfileForm(request.POST)
        if form.is_valid():
            try:
                security.set_security_profile(station_id=station.station_id,
                                              profile=form.cleaned_data["security_profile"])
                return {"security_done": "Security profile saved."}
            except InvalidValue as exc:
                form.add_error("security_profile", str(exc))
        return {"profile_form": form}
    form = PasswordRotationForm(request.POST)
    if not form.is_valid():
        return {"password_form": form}
    try:
        with transaction.atomic(durable=True):  # committed before we wait for the answer
            rotation = security.rotate_password(station_id=station.station_id,
                                                password=form.cleaned_data["new_password"],
                                                requested_by=request.user.get_username())
    except InvalidValue as exc:
        form.add_error("new_password", str(exc))
        return {"password_form": form}
    command = rotation.command
    if command is not None and not command.final:
        command = wait_for_command(command.pk, timeout=COMMAND_WAIT)
    if command is not None and command.final:
        security.settle(station_id=station.station_id)
    return {"new_password": rotation.password, "rotation_command": command}


@require_GET
def station_live(request: HttpRequest, station_id: str) -> HttpResponse:
    station = get_object_or_404(ChargingStation, station_id=station_id)
    return render(request, "stations/_detail_live.html", _live_context(station))


def _quick_operation(station: ChargingStation, quick: str, data) -> tuple[str, dict]:
    """The request of a quick button, built for the station's version; InvalidCommand names what is wrong."""
    version = station.ocpp_version
    if quick in ("reset_soft", "reset_hard"):
        return operations.reset(version, hard=quick == "reset_hard")
    if quick == "get_configuration":
        return operations.get_configuration(version)
    if quick == "trigger_status":
        return operations.trigger_message(version, message="StatusNotification")
    if quick == "unlock":
        return operations.unlock_connector(version, evse_id=_int(data, "evse_id"),
                                           connector_id=_int(data, "connector_id", default=1))
    if quick == "remote_start":
        token = data.get("id_token", "").strip()
        if not token:
            raise InvalidCommand("give the id token to start with", field="id_token")
        evse = _int(data, "evse_id", default=None)
        return session_operations.remote_start(version, id_token=token, evse_id=evse)
    if quick == "remote_stop":
        session = Transaction.objects.filter(station=station, pk=_int(data, "transaction")).first()
        if session is None:
            raise InvalidCommand("no such session at this station", field="transaction")
        return session_operations.remote_stop(version, transaction=session)
    raise InvalidCommand(f"unknown quick command {quick!r}", field="quick")


def _int(data, name: str, *, default: int | None = 0) -> int | None:
    value = str(data.get(name, "")).strip()
    if not value:
        if default == 0:
            raise InvalidCommand(f"{name} is required", field=name)
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidCommand(f"{name}: {value!r} is not a whole number", field=name) from None


@require_POST
@operator_required
def station_command(request: HttpRequest, station_id: str) -> HttpResponse:
    station = get_object_or_404(ChargingStation, station_id=station_id)
    version = station.ocpp_version
    quick = request.POST.get("quick", "")
    form = _blank_form(version) if quick else CommandForm(request.POST, version=version)
    command, error = None, ""
    if not version:
        error = "The station never connected: its OCPP version is not known yet."
    elif quick or form.is_valid():
        queue_for = 0 if quick else form.cleaned_data["queue_for"]
        try:
            with transaction.atomic(durable=True):  # committed before we wait for the answer
                if quick:
                    action, payload = _quick_operation(station, quick, request.POST)
                else:
                    action, payload = form.cleaned_data["operation"], form.cleaned_data["parameters"]
                command = issue_command(station_id=station.station_id, action=action, payload=payload,
                                        requested_by=request.user.get_username(),
                                        queue_for=timedelta(seconds=queue_for) if queue_for else None)
        except InvalidCommand as exc:
            if quick or exc.field not in FORM_FIELD:
                error = f"{QUICK_LABELS.get(quick, 'Command')} not sent: {exc}"
            else:
                form.add_error(FORM_FIELD[exc.field], str(exc))
    if command is not None and not command.final:
        command = wait_for_command(command.pk, timeout=COMMAND_WAIT)
    if not request.headers.get("HX-Request"):
        _as_message(request, command, error or _form_errors(form))
        return redirect("station_detail", station_id=station.station_id)
    context = {**_command_context(station, form), "station": station, "error": error,
               "command": _with_answer(command) if command else None,
               "current_sessions": list(Transaction.objects.filter(station=station,
                                                                   status=TransactionStatus.ACTIVE)),
               "connectors": list(station.connectors.all())}
    return render(request, "stations/_detail_command.html", context)


def _form_errors(form: CommandForm) -> str:
    return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())


def _as_message(request: HttpRequest, command: Command | None, error: str) -> None:
    if command is None:
        messages.error(request, error or "Command not sent.")
        return
    detail = ": ".join(part for part in (command.error_code, command.error_description) if part)
    text = f"{command.action}: {command.get_status_display()}" + (f" ({detail})" if detail else "")
    messages.info(request, text)


@require_GET
def station_timeline(request: HttpRequest, station_id: str) -> HttpResponse:
    station = get_object_or_404(ChargingStation, station_id=station_id)
    days = _bounded_int(request.GET.get("days"), default=timeline.TIMELINE_DAYS, low=1, high=90)
    events = timeline.station_timeline(station, since=timezone.now() - timedelta(days=days))
    page = Paginator(events, TIMELINE_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "stations/timeline.html", {
        "station": station, "page": page, "days": days, "limit": timeline.TIMELINE_LIMIT,
        "hints": timeline.station_hints(station), "truncated": len(events) >= timeline.TIMELINE_LIMIT,
        "query": f"days={days}", "day_choices": sorted({1, 3, 7, 14, 30, 90, days})})


def _bounded_int(value, *, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(value)))
    except (TypeError, ValueError):
        return default


@require_GET
def station_messages(request: HttpRequest, station_id: str) -> HttpResponse:
    station = get_object_or_404(ChargingStation, station_id=station_id)
    rows = OcppMessage.objects.filter(station=station)
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(Q(action__icontains=q) | Q(message_id__icontains=q) | Q(payload__icontains=q))
    direction, kind = request.GET.get("direction", ""), request.GET.get("kind", "")
    if direction in MessageDirection.values:
        rows = rows.filter(direction=direction)
    if kind in MessageKind.values:
        rows = rows.filter(kind=kind)
    page = Paginator(rows, MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    for message in page:
        message.pretty = _pretty(message.payload)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "stations/messages.html", {
        "station": station, "page": page, "q": q, "direction": direction, "kind": kind,
        "directions": MessageDirection.choices, "kinds": MessageKind.choices, "query": query.urlencode(),
        "retention_days": settings.OCPP_LOG_RETENTION_DAYS})
