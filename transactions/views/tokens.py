"""Portal pages about id tokens: the list for everyone; create, edit, block and CSV import for operators.

Every write goes through provision_token, so the portal refuses exactly what add_idtoken and
import_idtokens refuse, with the same messages; its InvalidValue names the form field to mark.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction as db_transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from csms.exceptions import CsmsError, InvalidValue
from csms.roles import operator_required
from transactions import selectors
from transactions.choices import TokenStatus
from transactions.forms import IdTokenForm, TokenFilterForm, TokenImportForm
from transactions.models import IdToken
from transactions.services import IdTokenSpec, provision_token, spec_from_text
from transactions.services.token_provisioning import TOO_MANY_CELLS

PER_PAGE = 50
IMPORT_ERRORS_SHOWN = 50


class _Refused(Exception):
    """Roll back the atomic block it leaves."""


def token_list(request):
    form = TokenFilterForm(request.GET)
    page = Paginator(selectors.token_list(form.filters()), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "transactions/tokens.html", {
        "form": form, "page": page, "query": query.urlencode(), "back": request.get_full_path()})


def _provision(form: IdTokenForm, *, creating: bool) -> IdToken | None:
    """Save the form through provisioning; None (with the error on its field) when refused."""
    try:
        with db_transaction.atomic():
            token, outcome = provision_token(spec=form.spec())
            if creating and outcome != "created":  # provisioning updates an existing value; a create must not
                raise _Refused
    except InvalidValue as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return None
    except _Refused:
        form.add_error("value", f"{form.cleaned_data['value']} already exists; edit it instead.")
        return None
    return token


@operator_required
def token_create(request):
    form = IdTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = _provision(form, creating=True)
        if token is not None:
            messages.success(request, f"Id token {token.value} created.")
            return redirect("token_list")
    return render(request, "transactions/token_form.html", {"form": form, "token": None})


@operator_required
def token_edit(request, pk: int):
    token = get_object_or_404(IdToken.objects.select_related("parent"), pk=pk)
    form = IdTokenForm(request.POST or None, initial=IdTokenForm.initial_for(token), editing=True)
    if request.method == "POST" and form.is_valid():
        saved = _provision(form, creating=False)
        if saved is not None:
            messages.success(request, f"Id token {saved.value} saved.")
            return redirect("token_list")
    return render(request, "transactions/token_form.html", {"form": form, "token": token})


@require_POST
@operator_required
def token_block(request, pk: int):
    """Block (action=block) or unblock (anything else: back to Accepted) one token."""
    token = get_object_or_404(IdToken, pk=pk)
    status = TokenStatus.BLOCKED if request.POST.get("action") == "block" else TokenStatus.ACCEPTED
    provision_token(spec=IdTokenSpec(value=token.value, status=status))
    messages.success(request, f"Id token {token.value} is now {status.label}.")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("token_list")


@operator_required
def token_import(request):
    """The CSV import of manage.py import_idtokens: the same columns and rules, all rows or none.

    Unlike the command, which stops at the first bad row, every row is tried (each in its own
    savepoint inside provision_token) so the page lists all errors at once; then all is rolled back.
    """
    form = TokenImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        try:
            with db_transaction.atomic():
                for line, row in form.cleaned_data["file"]:
                    if None in row:  # DictReader's key for cells beyond the header, e.g. an unquoted comma
                        errors.append(f"line {line}: {TOO_MANY_CELLS}")
                        continue
                    try:
                        _, outcome = provision_token(spec=spec_from_text(row))
                    except CsmsError as exc:
                        errors.append(f"line {line}: {exc.field or 'value'}: {exc}")
                        continue
                    counts[outcome] += 1
                if errors:
                    raise _Refused
        except _Refused:
            pass
        else:
            messages.success(request, "Imported: " + ", ".join(f"{n} {k}" for k, n in counts.items()) + ".")
            return redirect("token_list")
    return render(request, "transactions/token_import.html", {
        "form": form, "errors": errors[:IMPORT_ERRORS_SHOWN], "more_errors": max(len(errors) - IMPORT_ERRORS_SHOWN, 0)})
