"""Station page, timeline, message log, commands (being written)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404("page under construction")


station_detail = station_live = station_timeline = station_messages = station_command = _todo
