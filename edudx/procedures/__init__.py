"""Administrative procedures (thủ tục hành chính): pure building blocks for the one-stop desk.

``workdays`` — the Vietnamese working-day calendar and the receipt / deadline / on-time arithmetic;
``dossier_codes`` — the dossier code (mã số hồ sơ) of Thông tư 03/2025/TT-VPCP.
No models and no app configuration yet: the dossier app is built on top of these modules.
"""
