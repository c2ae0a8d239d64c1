"""Portal pages about charging sessions: the list, its CSV export, one session (with a live fragment), close."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.core.handlers.asgi import ASGIRequest
from django.core.paginator import Paginator
from django.db import transaction as db_transaction
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from csms.roles import operator_required
from transactions import selectors
from transactions.choices import TransactionStatus
from transactions.forms import CloseForm, TransactionFilterForm
from transactions.models import Transaction
from transactions.services import close_transaction

PER_PAGE = 50
CHART_POINTS = 2000
EXPORT_CHUNK = 2000
EXPORT_COLUMNS = ("id", "station_id", "ocpp_version", "station_tx_id", "evse_id", "connector_id", "id_token",
                  "status", "stale", "orphan", "started_at", "ended_at", "duration_s", "energy_wh", "energy_kwh",
                  "stop_reason", "closed_by")


def duration(start: datetime | None, end: datetime | None) -> timedelta | None:
    """How long a session ran; for an active one, so far."""
    if start is None:
        return None
    return max((end or timezone.now()) - start, timedelta(0))


def format_duration(span: timedelta | None) -> str:
    if span is None:
        return ""
    minutes = int(span.total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{days} d " if days else "") + f"{hours} h {minutes:02d} min"


def kwh(wh: Decimal | None) -> str:
    return "" if wh is None else f"{wh / 1000:.3f}"


def transaction_list(request):
    form = TransactionFilterForm(request.GET)
    page = Paginator(selectors.transaction_list(form.filters()), PER_PAGE).get_page(request.GET.get("page"))
    for row in page:
        row.duration_text = format_duration(duration(row.started_at, row.ended_at))
        row.energy_kwh = kwh(row.energy_wh)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "transactions/list.html", {"form": form, "page": page, "query": query.urlencode()})


def _utc(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def transaction_export(request):
    """The list's sessions as CSV, all of them (no page), streamed in chunks: bounded memory at any size."""
    filters = TransactionFilterForm(request.GET).filters()
    rows = selectors.transaction_list(filters).values_list(
        "id", "station__station_id", "ocpp_version", "station_tx_id", "evse_id", "connector_id", "id_token_value",
        "status", "stale", "orphan", "started_at", "ended_at", "energy_wh", "stop_reason", "closed_by")

    def chunks():
        """One string per EXPORT_CHUNK rows: a response chunk per row would cost more than the rows."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        for n, (pk, station, version, tx_id, evse, connector, token, status, stale, orphan, start, end, energy,
                reason, closed_by) in enumerate(rows.iterator(chunk_size=EXPORT_CHUNK), start=1):
            span = duration(start, end) if end else None  # an active session has no duration yet
            writer.writerow((
                pk, station, version, tx_id, evse, connector, token, status, int(stale), int(orphan), _utc(start),
                _utc(end), "" if span is None else int(span.total_seconds()), "" if energy is None else energy,
                kwh(energy), reason, closed_by))
            if n % EXPORT_CHUNK == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    body = _async_chunks(chunks()) if isinstance(request, ASGIRequest) else chunks()
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="transactions-{stamp}.csv"'
    return response


async def _async_chunks(sync_chunks):
    """Under ASGI Django would read a sync iterator whole before sending; pull one chunk at a time instead, each
    in Django's sync thread (the database cursor stays on one connection)."""
    pull = sync_to_async(next, thread_sensitive=True)
    while (chunk := await pull(sync_chunks, None)) is not None:
        yield chunk


def _session(pk: int) -> Transaction:
    try:
        return selectors.transaction_detail(pk)
    except Transaction.DoesNotExist:
        raise Http404("no such transaction") from None


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def transaction_detail(request, pk: int):
    session = _session(pk)
    series = selectors.meter_series(session, CHART_POINTS)
    chart = {
        "energy": [[_epoch_ms(at), float(value)] for at, value in series.energy_wh],
        "power": [[_epoch_ms(at), float(value)] for at, value in series.power_w],
        "tz": timezone.get_current_timezone_name(),  # the axis speaks the page's time zone, not the browser's
    }
    return render(request, "transactions/detail.html", {
        "tx": session, "live": _live_context(session), "chart": chart, "series": series,
        "events": session.events.all(), "notes": session.notes.all(), "close_form": CloseForm(),
    })


def _live_context(session: Transaction) -> dict:
    return {
        "tx": session, "active": session.status == TransactionStatus.ACTIVE,
        "energy_kwh": kwh(session.energy_wh),
        "power_kw": "" if session.power_w is None else f"{session.power_w / 1000:.2f}",
        "duration": format_duration(duration(session.started_at, session.ended_at)),
        "register_ms": _epoch_ms(session.last_register_at) if session.last_register_at else "",
        "power_ms": _epoch_ms(session.power_at) if session.power_at else "",
    }


def transaction_live(request, pk: int):
    """The energy / power fragment an active session's page polls; an ended one's fragment stops the polling."""
    try:
        session = Transaction.objects.select_related("station").get(pk=pk)
    except Transaction.DoesNotExist:
        raise Http404("no such transaction") from None
    return render(request, "transactions/detail_live.html", {"live": _live_context(session)})


@require_POST
@operator_required
def transaction_close(request, pk: int):
    session = _session(pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason to close the session.")
        return redirect("transaction_detail", pk=pk)
    with db_transaction.atomic(durable=True):
        closed = close_transaction(transaction_id=session.pk, by=request.user.get_username(),
                                   reason=form.cleaned_data["reason"], at=timezone.now())
    if closed is None:
        messages.info(request, "The session had already ended; nothing changed.")
    else:
        messages.success(request, f"Transaction {pk} closed.")
    return redirect("transaction_detail", pk=pk)
