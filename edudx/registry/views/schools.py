"""(to be written)"""

__all__: list[str] = []
urlpatterns: list = []
