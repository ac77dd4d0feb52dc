"""Administrative procedures (thủ tục hành chính): pure building blocks for the one-stop desk.

``workdays`` — the Vietnamese working-day calendar and the receipt / deadline / on-time arithmetic;
``dossier_codes`` — the dossier code (mã số hồ sơ) of Thông tư 03/2025/TT-VPCP;
``catalogue`` — dated procedure versions and the seed of education procedures; ``forms_schema`` — application
forms as data; ``states`` — the dossier state machine; ``timeliness`` — on-time rules; ``targets`` — service KPIs.
No models and no app configuration yet: the dossier app is built on top of these modules.
"""
