"""Live quiz rooms: the instructor hosts, players answer from their phones (the rules are on quiz.models.Room).

The host (the browser that created the room, proven by a token in its session; or, from any browser, the
signed-in instructor who opened it and the co-hosts they invited) paces the room: start, next, finish. Each
question has a timer and is revealed by itself when the time is up or everyone has answered (Room.reveal_if_due,
run on every poll); the host can reveal early. Players join with the code and a nickname and answer from their
phones with one tap. Everyone polls with htmx: the host's numbers every 1.5 s, players every 2 s; a player's poll
answers 204 (nothing to swap) until the room's version or their own state changes.

What the projector shows (the stage: the host page and the projector view) follows Kahoot's split: the question,
timer and "N of M answered" while a question is open, the answer split only at the reveal, the join address
(LAB_PUBLIC_URL) and a large QR code while joining is allowed. Phones show the answer buttons first.
"""
from __future__ import annotations

import csv
import hmac
from functools import wraps
from typing import Any, Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from securecart.exports import csv_safe
from securecart.joining import is_join_code, normalize_code, qr_svg
from securecart.publicurl import public_url
from securecart.throttle import throttle_join_codes

from . import services, spaced
from .bank import get_question
from .forms import CodeQueryForm, CohostForm, CreateRoomForm, HostActionForm, JoinForm, PlayAnswerForm, PollVersionForm
from .models import Attempt, Player, Room, RoomError
from .proof import engine_proof

HOST_KEY = "quiz_live_host"
PLAYER_KEY = "quiz_live_player"


def find_room(code: str) -> Room | None:
    """The room a (typed or URL) code names; None for anything that cannot be a code."""
    code = normalize_code(code)
    return Room.objects.filter(code=code).first() if is_join_code(code) else None


def _session_map(request: HttpRequest, key: str) -> dict[str, str]:
    value = request.session.get(key)
    return value if isinstance(value, dict) else {}


def _remember(request: HttpRequest, key: str, room: Room, token: str) -> None:
    tokens = _session_map(request, key)
    tokens[room.code] = token
    request.session[key] = tokens


def seat_player(request: HttpRequest, player: Player) -> None:
    """This browser plays as `player` from now on (the class app seats its students this way too)."""
    _remember(request, PLAYER_KEY, player.room, player.token)


def _is_host(request: HttpRequest, room: Room) -> bool:
    token = _session_map(request, HOST_KEY).get(room.code, "")
    if token and hmac.compare_digest(token, room.host_token):
        return True
    return room.is_hosted_by(request.user)


def _player(request: HttpRequest, room: Room) -> Player | None:
    token = _session_map(request, PLAYER_KEY).get(room.code)
    if not token:
        return None
    return room.players.filter(token=token).first()


def _index_page(request: HttpRequest, *, status: int = 200, error: str = "", create_form: CreateRoomForm | None = None,
                join_form: JoinForm | None = None) -> HttpResponse:
    return render(request, "quiz/live/index.html", {"error": error, "create_form": create_form or CreateRoomForm(),
                                                    "join_form": join_form or JoinForm()}, status=status)


def host_required(refusal: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """URL's `code` -> the view's `room`, for the room's hosts only (its creator's browser, its signed-in owner,
    its co-hosts); anyone else gets the live page with `refusal` (403)."""
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, code: str, **kwargs: Any) -> HttpResponse:
            room = find_room(code)
            if room is None:
                return _index_page(request, status=404, error="No room has that code.")
            if not _is_host(request, room):
                return _index_page(request, status=403, error=refusal)
            return view(request, room, **kwargs)
        return wrapper
    return decorator


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    query = CodeQueryForm(request.GET)
    code = query.cleaned_data["code"] if query.is_valid() else ""
    return _index_page(request, join_form=JoinForm(initial={"code": code if is_join_code(code) else ""}))


@require_POST
def create_room(request: HttpRequest) -> HttpResponse:
    form = CreateRoomForm(request.POST)
    if not form.is_valid():
        return _index_page(request, status=400, create_form=form)
    data = form.cleaned_data
    room = Room.open(question_ids=data["question_ids"], seconds_per_question=data["seconds_per_question"],
                     title=data["title"], owner=request.user)
    _remember(request, HOST_KEY, room, room.host_token)
    return HttpResponseRedirect(reverse("quiz:live_host", args=[room.code]))


@require_http_methods(["GET", "POST"])
@throttle_join_codes
def join(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        query = CodeQueryForm(request.GET)
        code = query.cleaned_data["code"] if query.is_valid() else ""
        return HttpResponseRedirect(reverse("quiz:live") + (f"?code={code}" if is_join_code(code) else ""))
    form = JoinForm(request.POST)
    if not form.is_valid():
        return _index_page(request, status=400, join_form=form)
    room = find_room(form.cleaned_data["code"])
    if room is None:   # a 404 is what the join throttle counts as a guess
        form.add_error("code", "No open room has that code. Check the code on the instructor's screen.")
        return _index_page(request, status=404, join_form=form)
    if _player(request, room) is not None and not room.is_expired:  # same phone joining again: keep its score
        return HttpResponseRedirect(reverse("quiz:live_play", args=[room.code]))
    try:
        player = room.join(form.cleaned_data["nickname"])
    except RoomError as error:
        form.add_error(error.field, str(error))
        return _index_page(request, status=error.status, join_form=form)
    seat_player(request, player)
    return HttpResponseRedirect(reverse("quiz:live_play", args=[room.code]))


# ---- what the host and the projector show ----------------------------------------------------------------------

def leaderboard(room: Room) -> list[dict[str, Any]]:
    return [{"rank": r.rank, "nickname": r.nickname, "points": r.points, "score": r.correct,
             "best_streak": r.best_streak, "player_id": r.player_id} for r in room.player_scores()]


def podium(board: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ranks 1 to 3 (ties share a step), shown in the podium's order: second, first, third."""
    top = [row for row in board if row["rank"] <= 3]
    order = {2: 0, 1: 1, 3: 2}
    return sorted(top, key=lambda row: (order[row["rank"]], row["nickname"].lower()))


def _question_context(room: Room) -> dict[str, Any]:
    qid = room.current_question_id
    question = get_question(qid) if qid else None
    if question is None:
        return {"question": None}
    return {"question": question, "options": services.display_options(question, room.code),
            "number": room.current + 1, "total": len(room.question_ids)}


def _counts(room: Room) -> dict[str, Any]:
    """How many have answered; the split per option only once the question is revealed (Room.split_visible):
    while it is open nobody, the projector included, sees what the crowd chose."""
    answers = list(room.live_answers.filter(index=room.current)) if room.current >= 0 else []
    counts: dict[str, Any] = {"answered": len(answers), "players": room.players.count(), "rows": [],
                              "correct_count": sum(1 for a in answers if a.correct),
                              "waiting_for": [p.nickname for p in room.unanswered_players()]
                              if room.state == Room.QUESTION else []}
    question = get_question(room.current_question_id or "")
    if question is None or not room.split_visible:
        return counts
    per_key = {key: 0 for key in question.option_keys}
    for a in answers:
        for key in a.selected:
            if key in per_key:
                per_key[key] += 1
    top = max(list(per_key.values()) + [1])
    for letter, opt in services.display_options(question, room.code):
        count = per_key.get(opt.key, 0)
        counts["rows"].append({"letter": letter, "option": opt, "count": count,
                               "percent": round(100 * count / len(answers)) if answers else 0,
                               "width": round(100 * count / top)})  # bar length relative to the most chosen
    return counts


def join_qr_svg(url: str) -> str:
    """The join link as an inline SVG QR code, for phones in the room to scan off the projector."""
    return qr_svg(url, "QR code for the join link")


def _host_context(room: Room, request: HttpRequest, error: str = "") -> dict[str, Any]:
    join_path = reverse("quiz:live") + f"?code={room.code}"
    ctx: dict[str, Any] = {"room": room, "error": error, "counts": _counts(room), "seconds_left": room.seconds_left(),
                           "player_names": list(room.players.values_list("nickname", flat=True)),
                           "cohost_url": public_url(request, reverse("quiz:live_cohost", args=[room.code])
                                                    + f"?t={room.cohost_token}") if room.cohost_token else "",
                           "cohosts": list(room.cohosts.values_list("username", flat=True))}
    if room.joining_open:
        # The address phones reach (LAB_PUBLIC_URL under make class), never the Host the instructor browses.
        ctx["join_address"] = public_url(request, reverse("quiz:live"))
        ctx["join_link"] = public_url(request, join_path)
        ctx["join_qr"] = join_qr_svg(ctx["join_link"])
    ctx.update(_question_context(room))
    if room.state in (Room.REVEAL, Room.FINISHED):
        ctx["leaderboard"] = leaderboard(room)
        ctx["podium"] = podium(ctx["leaderboard"])
    if room.state == Room.REVEAL and ctx.get("question"):
        ctx["proof"] = engine_proof(ctx["question"])
    return ctx


# ---- host -----------------------------------------------------------------------------------------------------

@require_GET
@host_required("Only the instructor who opened this room and their co-hosts can control it. "
               "To take part, join with the code and a nickname.")
def host(request: HttpRequest, room: Room) -> HttpResponse:
    room.reveal_if_due()
    return render(request, "quiz/live/host.html", _host_context(room, request))


@require_GET
@host_required("Only the room's hosts can open its projector view.")
def screen(request: HttpRequest, room: Room) -> HttpResponse:
    """The projector view: the stage alone, in presenter mode (no controls; drive it from another tab or a
    co-host's browser: it follows every change)."""
    room.reveal_if_due()
    return render(request, "quiz/live/screen.html", _host_context(room, request))


@require_GET
def host_panel(request: HttpRequest, code: str) -> HttpResponse:
    room = find_room(code)
    if room is None or not _is_host(request, room):
        return HttpResponse("This room is not yours or no longer exists.", status=403)
    room.reveal_if_due()
    poll = PollVersionForm(request.GET)
    valid = poll.is_valid()
    if not valid or poll.cleaned_data["v"] != str(room.version):  # another tab acted, or the timer revealed
        return _client_refresh()                                   # (or an unreadable poll): reload the page
    return render(request, "quiz/live/_host_stats.html", {**_host_context(room, request),
                                                          "on_screen": poll.cleaned_data["screen"]})


def _client_refresh() -> HttpResponse:
    response = HttpResponseClientRefresh()
    response.status_code = 204  # nothing to swap; htmx reloads the page on the header
    return response


@require_POST
@host_required("Only the instructor who opened this room can control it.")
def host_action(request: HttpRequest, room: Room) -> HttpResponse:
    form = HostActionForm(request.POST)
    if not form.is_valid():
        return _host_error(request, room, "Unknown action.", status=400)
    action = form.cleaned_data["action"]
    if action == "finish" and form.cleaned_data["confirm"] != "yes" and room.state != Room.FINISHED:
        # Ending is final for every player: ask first (a second form, so it works without JavaScript too).
        ctx = _host_context(room, request)
        ctx["confirm_finish"] = True
        return render(request, "quiz/live/_host_controls.html" if request.htmx else "quiz/live/host.html", ctx)
    try:
        room.advance(action)
    except RoomError as error:
        return _host_error(request, room, str(error), status=409)
    if request.htmx:
        return _client_refresh()  # the whole host screen changes with the state
    return HttpResponseRedirect(reverse("quiz:live_host", args=[room.code]))


def _host_error(request: HttpRequest, room: Room, error: str, *, status: int) -> HttpResponse:
    room.refresh_from_db()
    if request.htmx:  # swapped into the controls (htmx swaps 200s only)
        return render(request, "quiz/live/_host_controls.html", _host_context(room, request, error))
    return render(request, "quiz/live/host.html", _host_context(room, request, error), status=status)


# ---- player ---------------------------------------------------------------------------------------------------

def _player_context(room: Room, player: Player, error: str = "") -> dict[str, Any]:
    ctx: dict[str, Any] = {"room": room, "player": player, "error": error, "seconds_left": room.seconds_left()}
    ctx.update(_question_context(room))
    mine = None
    if room.current >= 0:
        mine = player.answers.filter(index=room.current).first()
    ctx["mine"] = mine
    ctx["selected"] = set(mine.selected) if mine else set()
    ctx["mine_letters"] = (services.letters_for(ctx["question"], room.code, mine.selected)
                           if mine and ctx.get("question") else "")
    ctx["state_key"] = f"{room.version}-{1 if mine else 0}"
    if room.state in (Room.REVEAL, Room.FINISHED):
        board = leaderboard(room)
        ctx["my_row"] = next((r for r in board if r["player_id"] == player.pk), None)
        ctx["players"] = len(board)
        if room.state == Room.FINISHED:
            ctx["leaderboard"] = board[:10]
            ctx["podium"] = podium(board)
            ctx["missed_count"] = len(_missed_question_ids(room, player))
    if room.state == Room.REVEAL and ctx.get("question"):
        ctx["proof"] = engine_proof(ctx["question"])
        ctx["right_letters"] = services.letters_for(ctx["question"], room.code, ctx["question"].correct_keys)
    return ctx


def _player_or_error(request: HttpRequest, code: str) -> tuple[Room | None, Player | None, HttpResponse | None]:
    room = find_room(code)
    if room is None:
        return None, None, _index_page(request, status=404, error="No room has that code. Check the code on the "
                                                                   "instructor's screen.")
    player = _player(request, room)
    if player is None:
        return room, None, HttpResponseRedirect(reverse("quiz:live") + f"?code={room.code}")
    return room, player, None


@require_GET
def play(request: HttpRequest, code: str) -> HttpResponse:
    room, player, failure = _player_or_error(request, code)
    if failure:
        return failure
    room.reveal_if_due()
    return render(request, "quiz/live/play.html", _player_context(room, player))


@require_GET
def play_panel(request: HttpRequest, code: str) -> HttpResponse:
    room = find_room(code)
    player = _player(request, room) if room else None
    if room is None or player is None:
        return HttpResponseClientRedirect(reverse("quiz:live"), status=204)  # 204: htmx follows the header
    room.reveal_if_due()
    ctx = _player_context(room, player)
    poll = PollVersionForm(request.GET)
    if poll.is_valid() and poll.cleaned_data["s"] == ctx["state_key"]:
        return HttpResponse(status=204)  # nothing changed: keep the page as it is
    return render(request, "quiz/live/_player_panel.html", ctx)


@require_POST
def play_answer(request: HttpRequest, code: str) -> HttpResponse:
    room, player, failure = _player_or_error(request, code)
    if failure:
        return failure
    form = PlayAnswerForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "That answer did not come from this room's question; here is where the class is now."
    else:
        try:
            answer = room.answer(player, form.cleaned_data["choice"], form.cleaned_data["index"])
        except RoomError as problem:
            error = str(problem)
        else:
            # A live answer is a review too: a miss enters this phone's spaced-review deck (FSRS).
            question = get_question(room.question_ids[answer.index])
            spaced.review(services.review_key(request), request.user, question.id, correct=answer.correct)
    room.refresh_from_db()
    ctx = _player_context(room, player, error)
    if request.htmx:
        return render(request, "quiz/live/_player_panel.html", ctx)
    if error:
        return render(request, "quiz/live/play.html", ctx, status=400)
    return HttpResponseRedirect(reverse("quiz:live_play", args=[room.code]))


def _missed_question_ids(room: Room, player: Player) -> list[str]:
    """Questions the room reached that this player got wrong or did not answer."""
    right = set(player.answers.filter(correct=True).values_list("index", flat=True))
    reached = room.question_ids[:room.current + 1]
    return [qid for index, qid in enumerate(reached) if index not in right and get_question(qid)]


@require_POST
def play_review(request: HttpRequest, code: str) -> HttpResponse:
    """"Review my misses": a practice attempt, in this browser, with the questions this player missed."""
    room, player, failure = _player_or_error(request, code)
    if failure:
        return failure
    if room.state != Room.FINISHED:
        return HttpResponseRedirect(reverse("quiz:live_play", args=[room.code]))
    missed = _missed_question_ids(room, player)
    if not missed:
        return render(request, "quiz/live/play.html", _player_context(room, player, "You missed nothing: "
                                                                                    "every question was right."))
    attempt = services.create_attempt(request, mode=Attempt.PRACTICE, question_ids=missed,
                                      title=f"My misses from {room.title}"[:120])
    return HttpResponseRedirect(reverse("quiz:question", args=[attempt.pk, 1]))


# ---- co-hosts and export --------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def cohost(request: HttpRequest, code: str) -> HttpResponse:
    """A signed-in instructor with the room's invite link becomes a co-host, from any browser."""
    room = find_room(code)
    # The invite link's ?t=, or the confirmation form's t (a malformed one is no token).
    token = next((form.cleaned_data["t"] for form in (CohostForm(request.GET), CohostForm(request.POST))
                  if form.is_valid() and form.cleaned_data["t"]), "")
    if room is None or room.is_expired:
        return _index_page(request, status=404, error="No open room has that code.")
    if not room.cohost_token or not hmac.compare_digest(str(token), room.cohost_token):
        return _index_page(request, status=403, error="This co-host link is not valid for that room; ask the host "
                                                      "for the link shown on their screen.")
    if request.method == "POST":
        room.cohosts.add(request.user)
        return HttpResponseRedirect(reverse("quiz:live_host", args=[room.code]))
    return render(request, "quiz/live/cohost.html", {"room": room, "token": token})


@require_GET
@host_required("Only the room's hosts can export its results.")
def export_csv(request: HttpRequest, room: Room) -> HttpResponse:
    """Results as CSV: one row per player, their rank and total, then points per question played."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="quiz-{room.code}-results.csv"'
    writer = csv.writer(response)
    numbers = range(room.questions_played)
    writer.writerow(["rank", "nickname", "points", "correct", "answered", "best_streak"]
                    + [f"q{i + 1} {room.question_ids[i]}" for i in numbers])
    for row in room.player_scores():
        cells = []
        for i in numbers:
            a = row.by_question.get(i)
            cells.append("" if a is None else f"{'right' if a.correct else 'wrong'} {a.points}")
        writer.writerow([row.rank, csv_safe(row.nickname), row.points, row.correct, row.answered, row.best_streak]
                        + cells)
    return response
