from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo registry (`manage.py load_demo`): it writes through every app's services, so it sits at the top
    of the layers, beside api and web, and nothing imports it."""

    name = "apps.demo"
    label = "demo"
