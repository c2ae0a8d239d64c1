"""The station list and the map. `?fragment=table` answers the list's table alone, for its live refresh."""

from collections import Counter
from urllib.parse import quote

from django.conf import settings
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

from stations import selectors
from stations.choices import ConnectorStatus

PER_PAGE = 50
# Marker colours per display status; the legend and the page's badges use the same ones.
MARKER_COLOURS = {selectors.ONLINE: "#12a150", selectors.CHARGING: "#1463ff", selectors.FAULTED: "#d92d20",
                  selectors.OFFLINE: "#98a2b3"}


def station_list(request):
    filters = selectors.StationFilters.from_params(request.GET)
    page = Paginator(selectors.station_list(filters), PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # one query, plus one for the prefetched connectors
    for station in page.object_list:
        station.connector_summary = _connector_summary(station.connectors.all())
    params = request.GET.copy()
    for name in ("page", "fragment"):
        params.pop(name, None)
    context = {"page": page, "filters": filters, "query": params.urlencode(), "columns": _columns(params, filters),
               "statuses": selectors.STATION_STATUSES}
    if request.GET.get("fragment") == "table":
        return render(request, "stations/_list_table.html", context)
    context["choices"] = selectors.station_filter_choices()
    return render(request, "stations/list.html", context)


def _connector_summary(connectors) -> list[tuple[str, int]]:
    """(status, count) in ConnectorStatus order: "2 Available, 1 Charging"."""
    counts = Counter(connector.status for connector in connectors)
    return [(status, counts[status]) for status in ConnectorStatus.values if counts[status]]


COLUMNS = [("Station", "station_id"), ("Name", "name"), ("Status", None), ("Connectors", None),
           ("Vendor / model", "vendor"), ("Firmware", "firmware"), ("OCPP", "ocpp"), ("Node", "node"),
           ("Last seen", "last_seen")]


def _columns(params, filters: selectors.StationFilters) -> list[dict]:
    """Table headers; a sortable one links to its order (again: reversed), keeping the filters, from page 1."""
    columns = []
    for label, key in COLUMNS:
        column = {"label": label, "url": None, "arrow": ""}
        if key:
            current = filters.sort.lstrip("-") == key
            descending = filters.sort.startswith("-")
            link = params.copy()
            link["sort"] = f"-{key}" if current and not descending else key
            column.update(url=f"?{link.urlencode()}", arrow=("▼" if descending else "▲") if current else "")
        columns.append(column)
    return columns


def station_map(request):
    context = {"map_config": {"data_url": reverse("station_map_data"), "tile_url": settings.MAP_TILE_URL,
                              "attribution": settings.MAP_TILE_ATTRIBUTION, "colours": MARKER_COLOURS},
               "colours": MARKER_COLOURS, "unplaced": selectors.stations_without_location()}
    return render(request, "stations/map.html", context)


def map_data(request):
    """GeoJSON FeatureCollection of the stations with a location; properties: id, name, status, colour, url."""
    detail_url = reverse("station_detail", args=["__id__"])
    features = [{
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [station["longitude"], station["latitude"]]},
        "properties": {"id": station["station_id"], "name": station["name"], "lat": station["latitude"],
                       "lon": station["longitude"], "status": station["display_status"],
                       "colour": MARKER_COLOURS[station["display_status"]],
                       "url": detail_url.replace("__id__", _path_segment(station["station_id"]))},
    } for station in selectors.map_stations()]
    return JsonResponse({"type": "FeatureCollection", "features": features})


def _path_segment(value: str) -> str:
    return quote(value, safe="")
