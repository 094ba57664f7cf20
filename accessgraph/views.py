"""The access graph of the visitor's own sandbox (and, for the instructor running a class, of one student's)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from challenges import kept
from challenges.views import identities
from classroom.access import instructor_class
from classroom.models import Classroom, Student
from engine.graph import shortest_path
from sandboxes import services
from sandboxes.decorators import SandboxRequest, with_sandbox
from sandboxes.labclient import lab
from sandboxes.models import Sandbox

from .forms import GraphForm
from .layout import KIND_LABELS, draw
from .models import GraphMemory


@require_GET
@with_sandbox
def graph_page(request: SandboxRequest) -> HttpResponse:
    context, status = graph_context(request, request.sandbox, remember=True, replay=True)
    return render(request, "accessgraph/graph.html", context, status=status)


@require_GET
@instructor_class
def student_graph(request: HttpRequest, classroom: Classroom, student_id: int) -> HttpResponse:
    """Read-only: no replay (the console runs in the instructor's own sandbox), and the student's red edges are
    left as the student will see them."""
    student = get_object_or_404(Student, pk=student_id, classroom=classroom)
    services.ensure_ready(student.sandbox)
    context, status = graph_context(request, student.sandbox, remember=False, replay=False)
    context.update(classroom=classroom, student=student)
    return render(request, "accessgraph/graph.html", context, status=status)


def graph_context(request: HttpRequest, sandbox: Sandbox, *, remember: bool,
                  replay: bool) -> tuple[dict[str, Any], int]:
    kept_sessions = kept.sessions(sandbox.id)
    graph = lab().access_graph(sandbox.id, [s.access_key_id for s in kept_sessions])
    accounts = {account_id: name for name, account_id in sandbox.account_ids().items()}
    form = GraphForm(graph, accounts, request.GET or None)
    start = target = ""
    if form.is_bound and form.is_valid():
        start, target = form.cleaned_data["start"], form.cleaned_data["target"]
    path = shortest_path(graph, start, target or None) if start else None
    path_keys = {edge["key"] for edge in path or []}
    new_keys = GraphMemory.opened(sandbox, {edge["key"] for edge in graph["edges"]}, remember=remember)
    anchors = {edge["key"]: f"edge-{number}" for number, edge in enumerate(graph["edges"], 1)}
    drawing = draw(graph, accounts=accounts, start=start or None, path_keys=path_keys, new_keys=new_keys,
                   anchors=anchors)
    shown = {box.id for box in drawing.boxes}
    signers = _signers(sandbox, graph, accounts, kept_sessions) if replay else {}
    nodes = {node["id"]: node for node in graph["nodes"]}
    rows = [_row(edge, nodes, accounts, graph["methods"], anchors, new_keys, path_keys, signers)
            for edge in graph["edges"] if edge["source"] in shown and edge["target"] in shown]
    by_key = {row["key"]: row for row in rows}
    context = {
        "sandbox": sandbox, "form": form, "drawing": drawing, "rows": rows, "start": nodes.get(start),
        "target": nodes.get(target), "path": [by_key[edge["key"]] for edge in path or [] if edge["key"] in by_key],
        "searched": bool(start), "path_found": path is not None, "admins": [n for n in graph["nodes"] if n["admin"]],
        "new_rows": [r for r in rows if r["new"]], "node_count": len(graph["nodes"]),
        "edge_count": len(graph["edges"]), "evaluations": graph["evaluations"], "replay": replay,
        "methods": sorted(graph["methods"].values(), key=lambda m: m["id"]),
        "too_large": graph["too_large"], "max_principals": graph["max_principals"],
    }
    return context, 400 if form.is_bound and not form.is_valid() else 200


def _signers(sandbox: Sandbox, graph: dict[str, Any], accounts: dict[str, str],
             kept_sessions: list[Any]) -> dict[str, str]:
    """node id -> the console identity that signs as it: a user's key, a kept session (of the role)."""
    available = {identity.value for identity in identities(sandbox)}
    signers: dict[str, str] = {}
    for node in graph["nodes"]:
        if node["kind"] == "user":
            value = f"key:{accounts.get(node['account'], '')}/{node['name']}"
            if value in available:
                signers[node["id"]] = value
        elif node["kind"] in ("role", "session"):
            for session in kept_sessions:
                role_prefix = node["id"].replace(":iam:", ":sts:").replace(":role/", ":assumed-role/") + "/"
                if session.arn == node["id"] or session.arn.startswith(role_prefix):
                    signers[node["id"]] = f"session:{session.name}"
                    break
    return signers


def _row(edge: dict[str, Any], nodes: dict[str, Any], accounts: dict[str, str], methods: dict[str, Any],
         anchors: dict[str, str], new_keys: set[str], path_keys: set[str], signers: dict[str, str]) -> dict[str, Any]:
    signer = signers.get(edge["source"], "")
    console = reverse("challenges:console")
    query = {"identity": signer} if signer else {}
    commands = [{"text": command, "url": f"{console}?{urlencode({'command': command, **query})}#console"}
                for command in edge["cli"]]
    return {"key": edge["key"], "anchor": anchors[edge["key"]], "source": _who(nodes[edge["source"]], accounts),
            "target": _who(nodes[edge["target"]], accounts), "method": methods[edge["method"]],
            "needs": edge["needs"], "proofs": edge["proofs"], "commands": commands, "signer": signer,
            "new": edge["key"] in new_keys, "on_path": edge["key"] in path_keys, "kind": edge["kind"]}


def _who(node: dict[str, Any], accounts: dict[str, str]) -> dict[str, Any]:
    return {"id": node["id"], "name": node["name"], "kind": KIND_LABELS[node["kind"]], "admin": node["admin"],
            "account": accounts.get(node["account"], "AWS")}
