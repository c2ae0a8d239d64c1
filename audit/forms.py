"""The portal's and the admin's login forms, throttled (audit.services.logins)."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from audit.context import client_ip
from audit.services import logins


class ThrottledLoginMixin:
    """Refuse an attempt unchecked while its user name or address is locked; count failed passwords."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request is not None else None
        message = logins.refusal(username=username, ip=ip)
        if message:
            raise ValidationError(message, code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            # Only a wrong password counts; a right one of an inactive or non-staff user is not a guess.
            if self.user_cache is None and username and self.cleaned_data.get("password"):
                logins.record_failure(username=username, ip=ip)
            raise
        logins.record_success(username=username)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
