"""Signals other apps listen to. Sent only after the transaction that caused them has committed."""

from django.dispatch import Signal

# bill_paid(sender=Bill, bill=<Bill>, online=<bool>): a bill has just been paid in full.
bill_paid = Signal()
