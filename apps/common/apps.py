from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "apps.common"
    label = "common"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the wiring checks
        from .lookups import register

        register()  # `__in_ids` (apps.common.lookups)
