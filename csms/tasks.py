"""Central's one task for station traffic: run the handlers of a list of envelopes, then answer the nodes.

Replies are published after each envelope's transaction committed (csms.dispatch
commits per envelope) and the task message is acknowledged only after that
(acks_late), so a worker that dies mid-way leaves the message to be redelivered
and handled again; handlers are idempotent.
"""

from celery import shared_task

from csms import amqp, dispatch


@shared_task(name="csms.handle_envelopes", ignore_result=True, time_limit=120, soft_time_limit=100)
def handle_envelopes(envelopes: list[dict]) -> None:
    replies = dispatch.handle_envelopes(envelopes)
    amqp.publish_replies([r for r in replies if r and r.get("node")])
