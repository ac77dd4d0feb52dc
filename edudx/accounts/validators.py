"""Password validators with Vietnamese messages.

Django 5.2 changed the minimum-length message to a new text that its Vietnamese catalogue does not
yet translate, so the message would show in English; this subclass says it in Vietnamese.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "Mật khẩu quá ngắn. Mật khẩu phải có ít nhất %(min_length)d ký tự.",
            "Mật khẩu quá ngắn. Mật khẩu phải có ít nhất %(min_length)d ký tự.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "Mật khẩu phải có ít nhất %(min_length)d ký tự.",
            "Mật khẩu phải có ít nhất %(min_length)d ký tự.",
            self.min_length,
        ) % {"min_length": self.min_length}
