"""The portal's two roles as groups: viewers see, operators also act (send commands, edit tokens, admit)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OPERATOR_PERMISSIONS = [
    ("stations", "add_command"),
    ("stations", "add_chargingstation"),
    ("stations", "change_chargingstation"),
    ("transactions", "add_idtoken"),
    ("transactions", "change_idtoken"),
    ("transactions", "change_transaction"),
]
VIEW_MODELS = [("stations", "chargingstation"), ("stations", "connector"), ("stations", "command"),
               ("transactions", "transaction"), ("transactions", "idtoken")]


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():  # permissions exist only after post_migrate otherwise
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(pairs):
        return [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in pairs]

    views = [(app, f"view_{model}") for app, model in VIEW_MODELS]
    viewer, _ = Group.objects.get_or_create(name="viewer")
    viewer.permissions.add(*perms(views))
    operator, _ = Group.objects.get_or_create(name="operator")
    operator.permissions.add(*perms(views + OPERATOR_PERMISSIONS))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["viewer", "operator"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0005_configuration_and_device_model"),
        ("transactions", "0003_session_operations"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
