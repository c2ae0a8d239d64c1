from django.apps import AppConfig


class StationsConfig(AppConfig):
    """Charging stations, their connectors, the nodes that hold them and the connection log."""

    name = "stations"
    default_auto_field = "django.db.models.BigAutoField"
