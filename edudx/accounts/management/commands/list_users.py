"""List accounts with their roles and the units those roles apply to."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from edudx.core.enums import Role

from ... import selectors


class Command(BaseCommand):
    help = "Liệt kê người dùng cùng vai trò và phạm vi (đơn vị) đang hoặc sắp có hiệu lực."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", default="", help="Chỉ người đang giữ vai trò này (mã, ví dụ: principal)")
        parser.add_argument("--json", action="store_true", help="In dạng JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"]
        if role and role not in Role.values:
            raise CommandError(f"Vai trò không hợp lệ: {role}. Các vai trò: {', '.join(Role.values)}")
        rows = [_row(user) for user in selectors.user_list(role=role)]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            status = "" if row["is_active"] else " [đã khoá]"
            self.stdout.write(f"{row['username']}\t{row['full_name']}{status}")
            for r in row["roles"]:
                until = f" đến {r['valid_to']}" if r["valid_to"] else ""
                self.stdout.write(
                    f"    {r['role']} @ {r['org_unit']} (#{r['org_unit_id']}) từ {r['valid_from']}{until}"
                )


def _row(user: Any) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "is_active": user.is_active,
        "roles": [
            {
                "role": ra.role,
                "org_unit": ra.org_unit.name,
                "org_unit_id": ra.org_unit_id,
                "valid_from": ra.valid_from.isoformat(),
                "valid_to": ra.valid_to.isoformat() if ra.valid_to else None,
            }
            for ra in user.current_roles
        ],
    }
