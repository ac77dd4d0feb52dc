"""Domain errors become the same HTTP answers on every API endpoint."""

import pytest

from edudx.core.errors import Conflict, DomainError, NotPermitted, ValidationFailed
from edudx.core.http import api_exception_handler


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ValidationFailed("Giá trị không hợp lệ.", code="invalid"), 400),
        (DomainError("Không thực hiện được.", code="some_rule"), 400),
        (NotPermitted(), 403),
        (Conflict("Ô điểm vừa được người khác sửa."), 409),
        (Conflict("Học kì đã khoá.", code="already_locked"), 409),  # a conflict keeps 409 whatever its code
        (DomainError("Xung đột.", code="conflict"), 409),
    ],
)
def test_status_and_body(error, status):
    response = api_exception_handler(error, {})
    assert response.status_code == status
    assert response.data["detail"] == error.message
    assert response.data["code"] == error.code


def test_details_are_passed_on_and_other_exceptions_left_to_drf():
    response = api_exception_handler(Conflict("Thiếu sổ.", code="sheets_not_submitted", details={"missing": [1]}), {})
    assert response.data["errors"] == {"missing": [1]}
    assert api_exception_handler(KeyError("x"), {}) is None
