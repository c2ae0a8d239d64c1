"""Operations that write id tokens, transactions and meter values; one module per subject."""

from transactions.services.metering import Sample
from transactions.services.notes import add_note
from transactions.services.remote_starts import transaction_started_by
from transactions.services.sessions import (
    TransactionEventData,
    close_transaction,
    flag_stale_transactions,
    record_meter_values,
    record_transaction_event,
    start_transaction,
    stop_transaction,
)
from transactions.services.token_provisioning import IdTokenSpec, provision_token, spec_from_text
from transactions.services.tokens import Authorization, authorize

__all__ = [
    "Authorization", "IdTokenSpec", "Sample", "TransactionEventData", "add_note", "authorize", "close_transaction",
    "flag_stale_transactions", "provision_token", "record_meter_values", "record_transaction_event", "spec_from_text",
    "start_transaction", "stop_transaction", "transaction_started_by",
]
