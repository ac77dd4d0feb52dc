"""Payment writes. Each public function is atomic, checks permission first and is audited."""

from .bills import bill_issue, bill_refund, bill_void
from .credits import credit_assign, credit_record, credit_refund
from .notifications import handle_notification
from .statements import statement_import, statement_preview

__all__ = [
    "bill_issue",
    "bill_refund",
    "bill_void",
    "credit_assign",
    "credit_record",
    "credit_refund",
    "handle_notification",
    "statement_import",
    "statement_preview",
]
