"""Payments: bills paid by VietQR transfer, bank notifications and statements, reconciliation, receipts, books.

Other apps use ``edudx.payments.api`` only (``issue_bill``, ``bill_for_reference``, ``bill_paid``).
"""
