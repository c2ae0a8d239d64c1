"""Id tokens (being written)."""

from django.http import Http404


def _todo(request, *args, **kwargs):
    raise Http404("page under construction")


token_list = token_create = token_import = token_edit = token_block = _todo
