from django.db import models


class Via(models.TextChoices):
    """The front-end an action came through."""

    PORTAL = "portal", "portal"
    ADMIN = "admin", "admin"
    API = "api", "API"
    COMMAND = "command", "management command"
