"""Sessions are updated at every reading: keep those updates HOT on PostgreSQL (no new index entries).

last_message_at loses its index (every reading moves it), and the table keeps a fifth of each page free so the new
row version fits beside the old one. Other databases have no such thing: the fill factor is PostgreSQL's alone.
"""

from django.db import migrations, models

from csms.pgsql import fillfactor


class Migration(migrations.Migration):

    dependencies = [
        ("transactions", "0004_transaction_ended_at_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="transaction",
            name="last_message_at",
            field=models.DateTimeField(blank=True, help_text="Central's clock at the latest message about it.",
                                       null=True),
        ),
        fillfactor("transactions_transaction", percent=80),
    ]
