"""Error pages: API paths answer in the API's JSON error shape, everything else with the app's own styled page
(templates/403.html, templates/404.html) in its layout, with DEBUG on or off."""
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

NOT_FOUND_JSON = {"error": {"code": "not_found", "message": "No API endpoint at this path.", "fields": {}}}
FORBIDDEN_JSON = {"error": {"code": "forbidden", "message": "You do not have permission to perform this action.",
                            "fields": {}}}
CSRF_MESSAGE = ("The form was sent without a valid security token (it was open too long, or cookies are "
                "blocked): go back, reload the page and send it again.")


def is_api_path(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 page never repeats the exception's text (a resolver's message lists URL patterns): it says the
    one thing every 404 of this app means, nothing here in the user's organisations."""
    if is_api_path(request):
        return JsonResponse(NOT_FOUND_JSON, status=404)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page shows the refusal's own message (which says which role is needed) and the user's role."""
    if is_api_path(request):
        return JsonResponse(FORBIDDEN_JSON, status=403)
    message = str(exception) if exception is not None and str(exception) else ""
    return render(request, "403.html", {"exception": message}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal, in the app's layout (its default is a bare "403 Forbidden")."""
    if is_api_path(request):
        return JsonResponse({"error": {"code": "csrf_failed", "message": f"CSRF check failed: {reason}",
                                       "fields": {}}}, status=403)
    return render(request, "403.html", {"exception": CSRF_MESSAGE, "csrf_failure": True}, status=403)


class StyledNotFoundMiddleware:
    """With DEBUG on, Django answers an Http404 raised by a view with its technical page (yellow, the URL
    patterns listed); the app's own views answer with the styled 404 in both modes, as users see it in
    production. Unknown URLs keep Django's handling (handler404 when DEBUG is off), API paths their JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404) and settings.DEBUG and not is_api_path(request):
            return page_not_found(request, exception)
        return None  # PermissionDenied: handler403 renders the styled page in both modes
