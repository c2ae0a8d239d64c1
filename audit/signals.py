"""Actions that reach no service: the admin's generic add / change / delete (its LogEntry rows) and webhook
endpoints, which the API and the admin save as plain models. Connected in AuditConfig.ready."""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models.signals import post_delete, post_save

from audit.services import record

ADMIN_ACTIONS = {ADDITION: "admin_add", CHANGE: "admin_change", DELETION: "admin_delete"}
OWN_HOOKS = {"webhooks.webhookendpoint"}  # recorded by the model hooks below: one entry per action
STATION_MODELS = {"stations.chargingstation"}


def connect() -> None:
    from webhooks.models import WebhookEndpoint

    post_save.connect(_admin_logged, sender=LogEntry, dispatch_uid="audit_admin_log")
    post_save.connect(_endpoint_saved, sender=WebhookEndpoint, dispatch_uid="audit_endpoint_saved")
    post_delete.connect(_endpoint_deleted, sender=WebhookEndpoint, dispatch_uid="audit_endpoint_deleted")


def _admin_logged(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    """Django's admin logs each single add / change / delete; a bulk delete of several objects it logs with
    bulk_create, which sends no signal (the admin's own history still has it)."""
    if not created or kwargs.get("raw"):
        return
    label = f"{instance.content_type.app_label}.{instance.content_type.model}" if instance.content_type_id else ""
    if label in OWN_HOOKS:
        return
    record(action=ADMIN_ACTIONS.get(instance.action_flag, "admin"), target_type=label, target=instance.object_id,
           station_id=instance.object_repr if label in STATION_MODELS else "",
           params={"object": instance.object_repr, "change": instance.get_change_message()})


def _endpoint_params(endpoint) -> dict:
    return {"url": endpoint.url, "events": endpoint.events, "active": endpoint.active}  # never the secret


def _endpoint_saved(sender, instance, created: bool, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    record(action="webhook_endpoint_add" if created else "webhook_endpoint_change", target_type="webhook_endpoint",
           target=instance.pk, params=_endpoint_params(instance), outcome="created" if created else "updated")


def _endpoint_deleted(sender, instance, **kwargs) -> None:
    record(action="webhook_endpoint_delete", target_type="webhook_endpoint", target=instance.pk,
           params=_endpoint_params(instance), outcome="deleted")
