"""Error pages: API paths answer in the API's JSON error shape, everything else with the HTML page."""
from django.http import JsonResponse
from django.views import defaults


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "not_found", "message": "No API endpoint at this path.", "fields": {}}}, status=404
        )
    return defaults.page_not_found(request, exception)
