"""Puts the organisation switcher's data on every page (one query, shared with the view)."""
from .access import org_access_for


def organization(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"access": org_access_for(request)}
