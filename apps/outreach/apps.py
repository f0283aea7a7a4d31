from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "apps.outreach"
    label = "outreach"
    verbose_name = "Outreach (supplier data calls)"
