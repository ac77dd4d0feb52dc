"""What other apps may use from accounts."""

from .authentication import BearerTokenAuthentication
from .models import ApiToken, User
from .selectors import api_token_list, my_role_list, user_has_confirmed_device, user_search
from .services import api_token_issue, api_token_revoke, user_create, user_password_changed

__all__ = [
    "ApiToken",
    "BearerTokenAuthentication",
    "User",
    "api_token_issue",
    "api_token_list",
    "api_token_revoke",
    "my_role_list",
    "user_create",
    "user_has_confirmed_device",
    "user_password_changed",
    "user_search",
]
