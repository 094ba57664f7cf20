"""The access graph drawn server-side as SVG: a layered layout (columns by distance from where the walk starts,
rows sorted by account and name), no JavaScript graph library. Pure Python over engine.graph's to_dict() output;
the template draws what this computes."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

BOX_W, BOX_H = 240, 48
COL_GAP, ROW_GAP, PAD = 90, 18, 16
LOOP = 56                         # room on the right for a principal's arrow to itself
NAME_CHARS = 26

KIND_LABELS = {"user": "IAM user", "role": "IAM role", "session": "kept session", "saml-provider": "SAML provider",
               "oidc-provider": "OIDC provider", "instance-profile": "instance profile", "service": "AWS service"}


@dataclass
class Box:
    id: str
    x: int
    y: int
    name: str
    subtitle: str
    kind: str
    admin: bool
    start: bool
    label: str                    # what a screen reader says for the node's link

    @property
    def cx(self) -> int:
        return self.x + BOX_W // 2


@dataclass
class Line:
    key: str
    anchor: str                   # the edge's row in the text list
    d: str
    classes: str
    title: str
    marker: str = "arrow"         # the arrowhead's id (one per colour: SVG 1.1 markers do not inherit the stroke)


@dataclass
class Drawing:
    width: int
    height: int
    boxes: list[Box] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    box_w: int = BOX_W
    box_h: int = BOX_H


def _short(text: str, limit: int = NAME_CHARS) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def reachable(graph: dict[str, Any], start: str) -> set[str]:
    """Nodes `start` can reach through any edge (becoming or granting)."""
    out: dict[str, list[str]] = {}
    for edge in graph["edges"]:
        out.setdefault(edge["source"], []).append(edge["target"])
    seen = {start}
    queue = deque([start])
    while queue:
        for target in out.get(queue.popleft(), []):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def draw(graph: dict[str, Any], *, accounts: dict[str, str], start: str | None, path_keys: set[str],
         new_keys: set[str], anchors: dict[str, str]) -> Drawing:
    """The SVG geometry. With a start: what it can reach; without: every principal with an edge, and the admins."""
    nodes = {n["id"]: n for n in graph["nodes"]}
    if start and start in nodes:
        shown = reachable(graph, start)
    else:
        start = None
        shown = {e["source"] for e in graph["edges"]} | {e["target"] for e in graph["edges"]}
        shown |= {n["id"] for n in graph["nodes"] if n["admin"]}
    edges = [e for e in graph["edges"] if e["source"] in shown and e["target"] in shown]
    incoming = {e["target"] for e in edges if e["source"] != e["target"]}
    roots = [start] if start else sorted((n for n in shown if n not in incoming), key=lambda n: _order(nodes[n],
                                                                                                        accounts))
    column: dict[str, int] = {}
    outgoing: dict[str, list[str]] = {}
    for edge in edges:
        outgoing.setdefault(edge["source"], []).append(edge["target"])
    pending = list(roots) + sorted(shown - set(roots), key=lambda n: _order(nodes[n], accounts))
    for root in pending:                      # min depth from the roots; cycles start a walk of their own
        if root in column:
            continue
        column[root] = 0
        queue = deque([root])
        while queue:
            current = queue.popleft()
            for target in outgoing.get(current, []):
                if target not in column:
                    column[target] = column[current] + 1
                    queue.append(target)
    columns: dict[int, list[str]] = {}
    for node_id in shown:
        columns.setdefault(column[node_id], []).append(node_id)
    drawing = Drawing(0, 0)
    boxes: dict[str, Box] = {}
    for col, members in sorted(columns.items()):
        members.sort(key=lambda n: _order(nodes[n], accounts))
        for row, node_id in enumerate(members):
            node = nodes[node_id]
            where = accounts.get(node["account"], node["account"]) or "AWS"
            subtitle = ("ADMIN · " if node["admin"] else "") + f"{KIND_LABELS[node['kind']]} · {where}"
            box = Box(node_id, PAD + col * (BOX_W + COL_GAP), PAD + row * (BOX_H + ROW_GAP), _short(node["name"]),
                      subtitle, node["kind"], node["admin"], node_id == start,
                      f"{node['name']}, {subtitle}: start the walk here")
            boxes[node_id] = box
    drawing.boxes = sorted(boxes.values(), key=lambda b: (b.x, b.y))
    drawing.width = max((b.x + BOX_W for b in boxes.values()), default=BOX_W) + PAD + LOOP
    drawing.height = max((b.y + BOX_H for b in boxes.values()), default=BOX_H) + PAD
    for edge in edges:
        source, target = boxes[edge["source"]], boxes[edge["target"]]
        classes = ["edge", f"edge-{edge['kind']}"]
        if edge["key"] in path_keys:
            classes.append("edge-path")
        if edge["key"] in new_keys:
            classes.append("edge-new")
        marker = "arrow-new" if edge["key"] in new_keys else "arrow-path" if edge["key"] in path_keys else "arrow"
        drawing.lines.append(Line(edge["key"], anchors.get(edge["key"], ""), _curve(source, target),
                                  " ".join(classes), f"{nodes[edge['source']]['name']} → "
                                  f"{nodes[edge['target']]['name']}: {edge['method']}", marker))
    # the path and new edges last, so they are drawn over the others
    drawing.lines.sort(key=lambda line: ("edge-path" in line.classes, "edge-new" in line.classes))
    return drawing


def _order(node: dict[str, Any], accounts: dict[str, str]) -> tuple[str, str, str]:
    return (accounts.get(node["account"], node["account"]), node["kind"], node["name"])


def _curve(source: Box, target: Box) -> str:
    if source.id == target.id:                         # a principal that writes its own policy: a loop on its right
        x, y = source.x + BOX_W, source.y
        return f"M{x},{y + 12} C{x + LOOP},{y - 6} {x + LOOP},{y + BOX_H + 6} {x + 2},{y + BOX_H - 12}"
    x1, y1 = source.x + BOX_W, source.y + BOX_H // 2
    x2, y2 = target.x, target.y + BOX_H // 2
    if x2 > x1:
        bend = (x2 - x1) // 2
        return f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"
    # same column or backwards: leave from the bottom, arrive at the top, around the boxes
    sx, sy = source.cx, source.y + BOX_H
    tx, ty = target.cx + 20, target.y
    if ty > sy:
        return f"M{sx},{sy} C{sx + 60},{sy + 20} {tx + 60},{ty - 20} {tx},{ty}"
    return f"M{sx},{sy} C{sx + 160},{sy + 60} {tx + 160},{ty - 60} {tx},{ty}"
