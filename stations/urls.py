"""Portal pages about stations (server-rendered; fragments for live updates)."""

from django.urls import path

from stations.views import detail, overview, refused

urlpatterns = [
    path("map/", overview.station_map, name="station_map"),
    path("map/stations.json", overview.map_data, name="station_map_data"),
    path("stations/", overview.station_list, name="station_list"),
    path("stations/<str:station_id>/", detail.station_detail, name="station_detail"),
    path("stations/<str:station_id>/live/", detail.station_live, name="station_live"),
    path("stations/<str:station_id>/timeline/", detail.station_timeline, name="station_timeline"),
    path("stations/<str:station_id>/messages/", detail.station_messages, name="station_messages"),
    path("stations/<str:station_id>/command/", detail.station_command, name="station_command"),
    path("refused/", refused.refused_list, name="refused_list"),
    path("refused/admit/", refused.admit, name="refused_admit"),
]
