"""Station list and map (being written)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404("page under construction")


station_map = map_data = station_list = _todo
