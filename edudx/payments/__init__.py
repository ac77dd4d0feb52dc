"""Payments: pure building blocks for cashless collection (VietQR payloads, payment references).

No models and no app configuration yet: the collection app is built on top of ``edudx.payments.vietqr``.
"""
