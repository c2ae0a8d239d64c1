"""Refused stations (being written)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404("page under construction")


refused_list = admit = _todo
