"""The manuals served at /docs/: an allow-list of files, links between them rewritten, pictures only those shown."""
from __future__ import annotations

import pytest

from manuals import library


@pytest.mark.parametrize("slug", list(library.MANUALS))
def test_every_manual_renders_with_its_title_and_contents(client, slug):
    response = client.get(f"/docs/{slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html and library.MANUALS[slug].title.split()[0] in html
    assert 'class="toc"' in html                            # the table of contents built from the headings


def test_the_index_lists_every_manual(client):
    html = client.get("/docs/").content.decode()
    for slug in library.MANUALS:
        assert f'href="/docs/{slug}/"' in html


@pytest.mark.parametrize("path", ["/docs/README/", "/docs/..%2Fsecurecart%2Fsettings%2Fbase.py/", "/docs/secret_key/",
                                  "/docs/files/../securecart/settings/base.py", "/docs/files/architecture.md",
                                  "/docs/files/%2e%2e/README.md", "/docs/files/screenshots/none.png"])
def test_nothing_outside_the_allow_list_is_served(client, path):
    assert client.get(path).status_code == 404


def test_links_between_manuals_point_at_their_pages_and_pictures_are_served(client):
    html = client.get("/docs/operators/").content.decode()
    assert 'href="/docs/' in html and '.md"' not in html.replace('README.md"', "")
    instructors = client.get("/docs/instructors/").content.decode()
    assert 'src="/docs/files/classroom-dashboard.png"' in instructors
    picture = client.get("/docs/files/classroom-dashboard.png")
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"


def test_a_manual_is_rendered_again_when_its_file_changes(tmp_path, monkeypatch):
    page = tmp_path / "learners.md"
    page.write_text("# One\n", encoding="utf-8")
    monkeypatch.setattr(library, "DOCS", tmp_path)
    assert "One" in library.rendered("learners").html
    page.write_text("# Two, a longer title\n", encoding="utf-8")   # a new size and mtime: a new version
    assert "Two" in library.rendered("learners").html
