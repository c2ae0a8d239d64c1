from django.apps import AppConfig


class TransactionsConfig(AppConfig):
    """Id tokens, transactions, meter values, reservations and charging profiles (issue 5 onward)."""

    name = "transactions"
    default_auto_field = "django.db.models.BigAutoField"
