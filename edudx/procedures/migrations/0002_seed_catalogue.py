"""Version 1 of every seeded procedure (catalogue.SEED_PROCEDURES, administration notes §3.8)."""

from django.db import migrations


def load(apps, schema_editor):
    from edudx.procedures.catalogue import SEED_PROCEDURES
    from edudx.procedures.catalogue_store import procedure_to_data

    ProcedureVersion = apps.get_model("procedures", "ProcedureVersion")
    for p in SEED_PROCEDURES:
        ProcedureVersion.objects.get_or_create(
            key=p.key,
            version=1,
            defaults={
                "code": p.code or "",
                "name": p.name,
                "authority_level": str(p.authority_level),
                "online_level": str(p.online_level),
                "processing_days": p.processing_days,
                "fee_vnd": p.fee.amount_vnd if p.fee else None,
                "valid_from": p.valid_from,
                "valid_to": p.valid_to,
                "data": procedure_to_data(p),
                "reason": "Danh mục ban đầu (ghi chú hành chính §3.8)",
            },
        )


def unload(apps, schema_editor):
    apps.get_model("procedures", "ProcedureVersion").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
