from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import library


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "manuals/index.html", {"manuals": library.MANUALS.values()})


@require_GET
def manual(request: HttpRequest, slug: str) -> HttpResponse:
    page = library.rendered(slug)
    if page is None:
        raise Http404("No such manual")
    return render(request, "manuals/manual.html", {"page": page, "manuals": library.MANUALS.values(), "slug": slug})


@require_GET
def picture(request: HttpRequest, name: str) -> FileResponse:
    found = library.picture(name)
    if found is None:
        raise Http404("No such picture")
    path, kind = found
    return FileResponse(path.open("rb"), content_type=kind)
