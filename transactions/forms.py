"""Portal forms for sessions and id tokens. Token rules live in services.token_provisioning, not here:
the forms only parse input, the view hands it to provision_token and puts its InvalidValue on the field."""

from __future__ import annotations

import io

from django import forms
from django.conf import settings

from transactions.choices import TokenStatus, TokenType
from transactions.selectors import STATES, TokenFilters, TransactionFilters
from transactions.services.token_provisioning import COLUMNS, CsvFileError, IdTokenSpec, read_token_csv

IMPORT_MAX_BYTES = 5 * 1024 * 1024  # a CSV of ~100,000 tokens; larger files belong to manage.py import_idtokens


TOKEN_TYPES = [(value, value) for value in TokenType.values]  # as OCPP spells them (the labels would say "Iso14443")


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "any"), *choices]


class TransactionFilterForm(forms.Form):
    station = forms.CharField(required=False, help_text="a station id, or part of one")
    token = forms.CharField(required=False, label="id token", help_text="the exact value")
    started_from = forms.DateField(required=False, label="started from",
                                   widget=forms.DateInput(attrs={"type": "date"}))
    started_to = forms.DateField(required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}))
    state = forms.ChoiceField(required=False, label="status", choices=_blank([(s, s) for s in STATES]))

    def filters(self) -> TransactionFilters:
        """The valid fields' filters; a field that does not parse filters nothing (and shows its error)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        for name in ("station", "token"):
            if name in data:
                data[name] = data[name].strip()
        return TransactionFilters(**data)


class CloseForm(forms.Form):
    reason = forms.CharField(max_length=200, strip=True,
                             help_text="Why you close it; kept on the session with your name.")


class TokenFilterForm(forms.Form):
    q = forms.CharField(required=False, label="search", help_text="part of the value or the owner")
    status = forms.ChoiceField(required=False, choices=_blank(TokenStatus.choices))
    type = forms.ChoiceField(required=False, choices=_blank(TOKEN_TYPES))

    def filters(self) -> TokenFilters:
        self.is_valid()
        data = self.cleaned_data
        return TokenFilters(search=data.get("q", "").strip(), status=data.get("status", ""),
                            type=data.get("type", ""))


class IdTokenForm(forms.Form):
    """All of a token's settings; an empty field clears it (no expiry, no group, no owner, no limit)."""

    value = forms.CharField(max_length=100, strip=False,
                            help_text="As stations send it; matched without regard to case.")
    type = forms.ChoiceField(choices=TOKEN_TYPES, initial=TokenType.ISO14443)
    status = forms.ChoiceField(choices=TokenStatus.choices, initial=TokenStatus.ACCEPTED)
    expiry = forms.DateTimeField(required=False, label=f"expiry ({settings.TIME_ZONE})",
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                            format="%Y-%m-%dT%H:%M"),
                                 help_text="Answered Expired from then on; empty: never.")
    parent = forms.CharField(required=False, label="parent (group token)",
                             help_text="The value of an existing group token; empty: none.")
    owner = forms.CharField(required=False, max_length=200)
    max_concurrent = forms.IntegerField(required=False, min_value=0, initial=1, label="max concurrent transactions",
                                        help_text="Empty or 0: no limit.")

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:  # the value is the token's identity: provisioning cannot rename it
            self.fields["value"].disabled = True
            self.fields["value"].help_text = "The value cannot change; block this token and create another."

    @classmethod
    def initial_for(cls, token) -> dict:
        return {"value": token.value, "type": token.type, "status": token.status, "expiry": token.expiry,
                "parent": token.parent.value if token.parent else "", "owner": token.owner,
                "max_concurrent": token.max_concurrent}

    def spec(self) -> IdTokenSpec:
        data = self.cleaned_data
        return IdTokenSpec(value=data["value"], status=TokenStatus(data["status"]), type=TokenType(data["type"]),
                           expiry=data["expiry"], parent=data["parent"].strip() or None,
                           owner=data["owner"].strip(), max_concurrent=data["max_concurrent"] or None)


class TokenImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text=(
        "UTF-8 with a header row; columns: " + ", ".join(COLUMNS) + ". Only value is required; an empty cell "
        "keeps what is stored. A parent must exist or come on an earlier row. All rows or none."))

    def clean_file(self) -> list[tuple[int, dict]]:
        """The rows with their line numbers, once the file reads as CSV with known columns (as import_idtokens)."""
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"the file is over {IMPORT_MAX_BYTES // 1024 // 1024} MB; "
                                        "use manage.py import_idtokens")
        try:
            rows = read_token_csv(io.StringIO(upload.read().decode("utf-8-sig"), newline=""))
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(f"cannot read the file: {exc}") from exc
        except CsvFileError as exc:
            raise forms.ValidationError(f"line {exc.line}: {exc}" if exc.line else f"cannot read the file: {exc}")
        return rows
