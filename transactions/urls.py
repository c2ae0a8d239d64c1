"""Portal pages about sessions and id tokens."""

from django.urls import path

from transactions.views import sessions, tokens

urlpatterns = [
    path("transactions/", sessions.transaction_list, name="transaction_list"),
    path("transactions/export.csv", sessions.transaction_export, name="transaction_export"),
    path("transactions/<int:pk>/", sessions.transaction_detail, name="transaction_detail"),
    path("transactions/<int:pk>/live/", sessions.transaction_live, name="transaction_live"),
    path("transactions/<int:pk>/close/", sessions.transaction_close, name="transaction_close"),
    path("tokens/", tokens.token_list, name="token_list"),
    path("tokens/new/", tokens.token_create, name="token_create"),
    path("tokens/import/", tokens.token_import, name="token_import"),
    path("tokens/<int:pk>/edit/", tokens.token_edit, name="token_edit"),
    path("tokens/<int:pk>/block/", tokens.token_block, name="token_block"),
]
