"""Create the demo certificate authority under SIGNING_CA_DIR (idempotent: an existing CA is kept)."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import hashes
from django.core.management.base import BaseCommand

from edudx.core.signing import ca_directory, ensure_demo_ca

__all__ = ["Command"]


class Command(BaseCommand):
    help = "Tạo tổ chức chứng thực (CA) dùng cho bản demo và kiểm thử; giữ nguyên CA đã có."

    def handle(self, *args: Any, **options: Any) -> None:
        ca, created = ensure_demo_ca()
        fingerprint = ca.certificate.fingerprint(hashes.SHA256()).hex(":").upper()
        verb = "Đã tạo" if created else "Đã có sẵn"
        self.stdout.write(f"{verb} CA demo “{ca.common_name}” tại {ca_directory()}")
        self.stdout.write(f"Hiệu lực đến: {ca.certificate.not_valid_after_utc:%d/%m/%Y}")
        self.stdout.write(f"Dấu vân tay SHA-256: {fingerprint}")
