"""Forms shared by the portal and the admin."""

import json

from django import forms

from csms.actions import COMMAND_ACTIONS
from stations.models import SecurityProfile


class CommandForm(forms.Form):
    """Any operation of the station's OCPP version, its parameters as a JSON object, and how long to queue it."""

    operation = forms.ChoiceField()
    parameters = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}),
                                 help_text="The request as a JSON object, prefilled with the operation's required "
                                           "fields as placeholders.")
    queue_for = forms.IntegerField(label="Queue for (s)", min_value=0, max_value=7 * 24 * 3600, initial=0,
                                   help_text="If the station is offline, keep the command this long; 0: fail at once.")

    def __init__(self, *args, version: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operation"].choices = [(a, a) for a in sorted(COMMAND_ACTIONS.get(version, ()))]

    def clean_parameters(self):
        try:
            payload = json.loads(self.cleaned_data["parameters"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}") from None
        if not isinstance(payload, dict):
            raise forms.ValidationError("Give a JSON object: {...}.")
        return payload


class SecurityProfileForm(forms.Form):
    """The station's security profile (stations.services.security.set_security_profile checks it)."""

    security_profile = forms.TypedChoiceField(coerce=int, choices=SecurityProfile.choices)


class PasswordRotationForm(forms.Form):
    """A new HTTP Basic password to send to the station; empty: generate a random one. Shown once after."""

    new_password = forms.CharField(required=False, strip=False, max_length=40,
                                   widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                                   help_text="16 to 20 characters for OCPP 1.6, 16 to 40 for 2.0.1: letters, digits "
                                             "and * - _ = : + | @ . — leave empty to generate one.")
