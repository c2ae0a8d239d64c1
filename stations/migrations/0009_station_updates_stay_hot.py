"""Stations and connectors are updated at every status, boot and batch of heartbeats: on PostgreSQL, keep a fifth of
each page free so those updates stay HOT (a station row has eight indexes, none of them touched then)."""

from django.db import migrations

from csms.pgsql import fillfactor


class Migration(migrations.Migration):

    dependencies = [
        ("stations", "0008_station_security_profile"),
    ]

    operations = [
        fillfactor("stations_chargingstation", "stations_connector", percent=80),
    ]
