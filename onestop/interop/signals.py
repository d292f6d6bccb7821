"""What the exchanges tell the app that asked for them (the dossier lifecycle connects to these).

Sent by the worker's task after an attempt, outside any transaction of interop's own; a receiver's
error propagates to the task (which then runs again: both receivers do nothing twice).
"""
from django.dispatch import Signal

# The peer answered: the exchange is still pending with its result kept (``exchange_id``).
exchange_answered = Signal()
# The exchange failed for good (``exchange_id``).
exchange_failed = Signal()
