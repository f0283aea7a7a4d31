"""Pages whose services another engineer is still building: they say so instead of failing."""
from django.shortcuts import render


def pending(request, what: str):
    return render(request, "web/pending.html", {"what": what}, status=200)
