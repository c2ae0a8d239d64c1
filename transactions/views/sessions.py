"""Transactions (being written)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404("page under construction")


transaction_list = transaction_export = transaction_detail = _todo
