from django.apps import AppConfig


class CsmsConfig(AppConfig):
    """Project-level app: management commands (runserver, runnode) and the router's registry."""

    name = "csms"
    verbose_name = "CSMS"

    def ready(self) -> None:
        from csms import router

        router.autodiscover()
