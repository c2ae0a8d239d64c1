"""The audit log of operator actions (who did what, when, from where, with what result) and login throttling.

Services record through `audit.services.record` / `audited`; the actor and address come from the request
being served (audit.context), or, outside a request (a management command), from the OS user.
"""
