from django.conf import settings
from django.db import models
from django.utils import timezone

from audit.choices import Via


class AuditEntry(models.Model):
    """One operator action: who, through what, on which target, with which parameters (secrets removed), result."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150, help_text="user name, or the OS user of a management command")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    via = models.CharField(max_length=16, choices=Via.choices)
    token_auth = models.BooleanField(default=False, help_text="API request authenticated by an API token")
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target = models.CharField(max_length=191, blank=True)
    station_id = models.CharField(max_length=48, blank=True, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    ok = models.BooleanField(default=True)
    outcome = models.CharField(max_length=32, blank=True, help_text="created / updated / a command's status...")
    error = models.CharField(max_length=500, blank=True)
    # The command an action issued; its final status is read from it (null once the command is pruned).
    command = models.ForeignKey("stations.Command", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ("-at", "-id")
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["actor", "-at"], name="audit_actor_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target_type} {self.target}"


class LoginFailure(models.Model):
    """A failed password login (portal or admin): counted per user name and per address to throttle guessing."""

    at = models.DateTimeField(default=timezone.now)
    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["username", "at"], name="audit_login_user_at"),
                   models.Index(fields=["ip", "at"], name="audit_login_ip_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} from {self.ip}"
