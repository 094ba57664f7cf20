"""Instructor "class" mode: a live quiz room with a short join code.

The host (the browser that created the room, proven by a token in its session; or, from any browser, the
signed-in instructor who opened it and the co-hosts they invited) paces the room: start, next, finish. Each
question has a timer and is revealed by itself when the time is up or everyone has answered (Room.reveal_if_due,
run on every poll); the host can reveal early. Players join with the code and a nickname and answer from their
phones. Everyone polls with htmx: the host's stats every 1.5 s, players every 2 s; a player's poll answers 204
(nothing to swap) until the room's version or their own state changes, so a half-made selection is never wiped.
"""
from __future__ import annotations

import csv
import hmac
import re
import secrets
import unicodedata
from functools import wraps
from typing import Any, Callable

import segno

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from securecart.throttle import throttle_join_codes
from securecart.publicurl import public_url

from . import services, spaced
from .bank import DOMAINS, InvalidAnswer, get_question
from .forms import CodeQueryForm, CohostForm, HostActionForm, PlayAnswerForm, PollVersionForm
from .models import Attempt, LiveAnswer, Player, Room
from .proof import engine_proof

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read off a projector
CODE_LENGTH = 6
MAX_PLAYERS = 200
MAX_ROOM_QUESTIONS = 30
HOST_KEY = "quiz_live_host"
PLAYER_KEY = "quiz_live_player"
_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def normalize_code(raw: str) -> str:
    return re.sub(r"[\s-]", "", str(raw or ""))[:32].upper()


def clean_nickname(raw: str) -> str:
    """1-24 printable characters, inner whitespace collapsed. Raises ValueError with a message for the learner."""
    text = " ".join(str(raw or "").split())
    if not text:
        raise ValueError("Enter a nickname.")
    if len(text) > 24:
        raise ValueError("Nicknames can be at most 24 characters.")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise ValueError("Nicknames cannot contain control characters.")
    return text


def _room(code: str) -> Room | None:
    code = normalize_code(code)
    if not _CODE_RE.match(code):
        return None
    return Room.objects.filter(code=code).first()


def _session_map(request: HttpRequest, key: str) -> dict[str, str]:
    value = request.session.get(key)
    return value if isinstance(value, dict) else {}


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


def _live_error(request: HttpRequest, message: str, status: int = 404, **extra: Any) -> HttpResponse:
    ctx = {"error": message, "create_form": CreateRoomForm(), "join_form": JoinForm()}
    ctx.update(extra)
    return render(request, "quiz/live/index.html", ctx, status=status)


def host_required(refusal: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """URL's `code` -> the view's `room`, for the room's hosts only (its creator's browser, its signed-in owner,
    its co-hosts); anyone else gets the live page with `refusal` (403)."""
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, code: str, **kwargs: Any) -> HttpResponse:
            room = _room(code)
            if room is None:
                return _live_error(request, "No room has that code.")
            if not _is_host(request, room):
                return _live_error(request, refusal, status=403)
            return view(request, room, **kwargs)
        return wrapper
    return decorator


def _query_code(request: HttpRequest) -> str:
    """?code= (CodeQueryForm), normalised; "" when missing or malformed."""
    form = CodeQueryForm(request.GET)
    return normalize_code(form.cleaned_data["code"]) if form.is_valid() else ""


class CreateRoomForm(forms.Form):
    title = forms.CharField(max_length=80, required=False, label="Room title (optional)")
    count = forms.IntegerField(min_value=1, max_value=MAX_ROOM_QUESTIONS, initial=8, label="Number of questions")
    seconds_per_question = forms.IntegerField(min_value=5, max_value=240, initial=30, required=False,
                                              label="Seconds per question")

    def clean_seconds_per_question(self) -> int:
        return self.cleaned_data.get("seconds_per_question") or 30
    domains = forms.MultipleChoiceField(choices=list(DOMAINS.items()), required=False,
                                        widget=forms.CheckboxSelectMultiple, label="Topics")


class JoinForm(forms.Form):
    code = forms.CharField(max_length=32, label="Room code")
    nickname = forms.CharField(max_length=64, label="Nickname")


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    join_form = JoinForm(initial={"code": _query_code(request)[:CODE_LENGTH]})
    return render(request, "quiz/live/index.html", {"create_form": CreateRoomForm(), "join_form": join_form})


def _new_code() -> str:
    for _ in range(20):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Room.objects.filter(code=code).exists():
            return code
    raise RuntimeError("could not find a free room code")  # 32^6 codes: practically unreachable


@require_POST
def create_room(request: HttpRequest) -> HttpResponse:
    form = CreateRoomForm(request.POST)
    if not form.is_valid():
        return render(request, "quiz/live/index.html", {"create_form": form, "join_form": JoinForm()}, status=400)
    data = form.cleaned_data
    try:
        ids = services.pick_question_ids(count=data["count"], domains=data["domains"])
    except services.QuizError as exc:
        form.add_error(None, str(exc))
        return render(request, "quiz/live/index.html", {"create_form": form, "join_form": JoinForm()}, status=400)
    token = secrets.token_urlsafe(24)
    room = Room.objects.create(code=_new_code(), host_token=token, question_ids=ids,
                               seconds_per_question=data["seconds_per_question"],
                               owner=request.user if request.user.is_authenticated else None,
                               cohost_token=secrets.token_urlsafe(24),
                               title=" ".join(data["title"].split()) or "SecureCart STS class quiz")
    hosts = _session_map(request, HOST_KEY)
    hosts[room.code] = token
    request.session[HOST_KEY] = hosts
    return HttpResponseRedirect(reverse("quiz:live_host", args=[room.code]))


@require_http_methods(["GET", "POST"])
@throttle_join_codes
def join(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        code = _query_code(request)[:8]
        return HttpResponseRedirect(reverse("quiz:live") + (f"?code={code}" if code else ""))
    form = JoinForm(request.POST)
    if not form.is_valid():
        return render(request, "quiz/live/index.html", {"create_form": CreateRoomForm(), "join_form": form},
                      status=400)
    room = _room(form.cleaned_data["code"])
    if room is None or room.is_expired:
        form.add_error("code", "No open room has that code. Check the code on the instructor's screen.")
        return render(request, "quiz/live/index.html", {"create_form": CreateRoomForm(), "join_form": form},
                      status=404)
    existing = _player(request, room)
    if existing is not None:  # same phone joining again: keep its score
        return HttpResponseRedirect(reverse("quiz:live_play", args=[room.code]))
    if room.state == Room.FINISHED:
        form.add_error("code", "That quiz has already finished.")
        return render(request, "quiz/live/index.html", {"create_form": CreateRoomForm(), "join_form": form},
                      status=409)
    try:
        nickname = clean_nickname(form.cleaned_data["nickname"])
    except ValueError as exc:
        form.add_error("nickname", str(exc))
        return render(request, "quiz/live/index.html", {"create_form": CreateRoomForm(), "join_form": form},
                      status=400)
    if room.players.count() >= MAX_PLAYERS:
        form.add_error("code", f"This room is full ({MAX_PLAYERS} players).")
        return render(request, "quiz/live/index.html", {"create_form": CreateRoomForm(), "join_form": form},
                      status=409)
    if room.players.filter(nickname__iexact=nickname).exists():
        form.add_error("nickname", "That nickname is already taken in this room; pick another.")
        return render(request, "quiz/live/index.html", {"create_form": CreateRoomForm(), "join_form": form},
                      status=409)
    token = secrets.token_urlsafe(24)
    try:
        with transaction.atomic():
            Player.objects.create(room=room, nickname=nickname, token=token)
    except IntegrityError:
        form.add_error("nickname", "That nickname is already taken in this room; pick another.")
        return render(request, "quiz/live/index.html", {"create_form": CreateRoomForm(), "join_form": form},
                      status=409)
    players = _session_map(request, PLAYER_KEY)
    players[room.code] = token
    request.session[PLAYER_KEY] = players
    return HttpResponseRedirect(reverse("quiz:live_play", args=[room.code]))


# ---- shared context -------------------------------------------------------------------------------------------

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
    question = get_question(room.current_question_id or "")
    answers = list(room.live_answers.filter(index=room.current)) if room.current >= 0 else []
    per_key = {key: 0 for key in (question.option_keys if question else ())}
    for a in answers:
        for key in a.selected:
            if key in per_key:
                per_key[key] += 1
    players = room.players.count()
    rows = []
    if question:
        for letter, opt in services.display_options(question, room.code):
            count = per_key.get(opt.key, 0)
            rows.append({"letter": letter, "option": opt, "count": count,
                         "percent": round(100 * count / len(answers)) if answers else 0})
    top = max([r["count"] for r in rows] + [1])
    for r in rows:  # bar height relative to the most chosen option, for the projector chart
        r["height"] = round(100 * r["count"] / top)
    return {"answered": len(answers), "players": players, "rows": rows,
            "correct_count": sum(1 for a in answers if a.correct),
            "waiting_for": [p.nickname for p in room.unanswered_players()] if room.state == Room.QUESTION else []}


def join_qr_svg(url: str) -> SafeString:
    """The join link as an inline SVG QR code, for phones in the room to scan off the projector."""
    svg = segno.make_qr(url).svg_inline(scale=5, border=2, dark="#1b1f24", light="#ffffff",
                                        title="QR code for the join link")
    return mark_safe(svg.replace("<svg ", '<svg role="img" aria-label="QR code for the join link" ', 1))


def _host_context(room: Room, error: str = "", request: HttpRequest | None = None) -> dict[str, Any]:
    join_url = reverse("quiz:live") + f"?code={room.code}"
    ctx: dict[str, Any] = {"room": room, "error": error, "counts": _counts(room),
                           "player_names": list(room.players.values_list("nickname", flat=True)),
                           "join_url": join_url, "seconds_left": room.seconds_left(),
                           "cohost_url": reverse("quiz:live_cohost", args=[room.code]) + f"?t={room.cohost_token}"
                           if room.cohost_token else "",
                           "cohosts": list(room.cohosts.values_list("username", flat=True))}
    if request is not None and room.state == Room.LOBBY:
        ctx["join_link"] = public_url(request, join_url)
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
    return render(request, "quiz/live/host.html", _host_context(room, request=request))


@require_GET
@host_required("Only the room's hosts can open its projector view.")
def screen(request: HttpRequest, room: Room) -> HttpResponse:
    """The projector view: question, timer and a large answer chart, no controls (drive it from another tab or a
    co-host's browser; it follows every change)."""
    room.reveal_if_due()
    return render(request, "quiz/live/screen.html", _host_context(room, request=request))


@require_GET
def host_panel(request: HttpRequest, code: str) -> HttpResponse:
    room = _room(code)
    if room is None or not _is_host(request, room):
        return HttpResponse("This room is not yours or no longer exists.", status=403)
    room.reveal_if_due()
    poll = PollVersionForm(request.GET)
    poll.is_valid()
    if poll.cleaned_data.get("v", "") != str(room.version):  # another tab acted: reload the whole page
        return _client_refresh()
    return render(request, "quiz/live/_host_stats.html", _host_context(room))


_TRANSITIONS = {
    "start": (Room.LOBBY,),
    "reveal": (Room.QUESTION,),
    "next": (Room.REVEAL,),
    "finish": (Room.LOBBY, Room.QUESTION, Room.REVEAL),
}


def _client_refresh() -> HttpResponse:
    response = HttpResponseClientRefresh()
    response.status_code = 204  # nothing to swap; htmx reloads the page on the header
    return response


@require_POST
@host_required("Only the instructor who opened this room can control it.")
def host_action(request: HttpRequest, room: Room) -> HttpResponse:
    form = HostActionForm(request.POST)
    form.is_valid()
    action = form.cleaned_data.get("action", "")   # an oversized one is unknown: refused below
    error = ""
    if action == "finish" and form.cleaned_data.get("confirm") != "yes" and room.state != Room.FINISHED:
        # Ending is final for every player: ask first (a second form, so it works without JavaScript too).
        ctx = _host_context(room, request=request)
        ctx["confirm_finish"] = True
        if request.htmx:
            return render(request, "quiz/live/_host_controls.html", ctx)
        return render(request, "quiz/live/host.html", ctx)
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room.pk)
        if action not in _TRANSITIONS:
            error = "Unknown action."
        elif room.state not in _TRANSITIONS[action]:
            error = f"“{action}” is not possible while the room is in the state “{room.get_state_display()}”."
        elif room.is_expired:
            error = "This room has expired; open a new one."
        else:
            now = timezone.now()
            if action == "start" or (action == "next" and room.current + 1 < len(room.question_ids)):
                room.current += 1
                room.state = Room.QUESTION
                room.question_opened_at = now
            elif action == "reveal":
                room.state = Room.REVEAL
            else:  # finish, or next after the last question
                room.state = Room.FINISHED
            room.version += 1
            room.save()
    if error:
        if request.htmx:
            return render(request, "quiz/live/_host_controls.html", _host_context(room, error))
        return render(request, "quiz/live/host.html", _host_context(room, error, request), status=409)
    if request.htmx:
        return _client_refresh()  # the whole host screen changes with the state
    return HttpResponseRedirect(reverse("quiz:live_host", args=[room.code]))


# ---- player ---------------------------------------------------------------------------------------------------

def _player_context(room: Room, player: Player, error: str = "") -> dict[str, Any]:
    ctx: dict[str, Any] = {"room": room, "player": player, "error": error, "seconds_left": room.seconds_left()}
    ctx.update(_question_context(room))
    mine = None
    if room.current >= 0:
        mine = player.answers.filter(index=room.current).first()
    ctx["mine"] = mine
    ctx["selected"] = set(mine.selected) if mine else set()
    ctx["state_key"] = f"{room.version}-{1 if mine else 0}"
    if room.state == Room.REVEAL and ctx.get("question"):
        ctx["proof"] = engine_proof(ctx["question"])
        ctx["right_letters"] = services.letters_for(ctx["question"], room.code, ctx["question"].correct_keys)
    if room.state == Room.FINISHED:
        board = leaderboard(room)
        ctx["leaderboard"] = board[:10]
        ctx["podium"] = podium(board)
        ctx["my_row"] = next((r for r in board if r["player_id"] == player.pk), None)
        ctx["missed_count"] = len(_missed_question_ids(room, player))
    return ctx


def _player_or_error(request: HttpRequest, code: str) -> tuple[Room | None, Player | None, HttpResponse | None]:
    room = _room(code)
    if room is None:
        return None, None, _live_error(request, "No room has that code. Check the code on the instructor's screen.")
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
    room = _room(code)
    player = _player(request, room) if room else None
    if room is None or player is None:
        return HttpResponseClientRedirect(reverse("quiz:live"), status=204)  # 204: htmx follows the header
    room.reveal_if_due()
    ctx = _player_context(room, player)
    poll = PollVersionForm(request.GET)
    poll.is_valid()
    if poll.cleaned_data.get("s", "") == ctx["state_key"]:
        return HttpResponse(status=204)  # nothing changed: keep the learner's half-made selection
    return render(request, "quiz/live/_player_panel.html", ctx)


@require_POST
def play_answer(request: HttpRequest, code: str) -> HttpResponse:
    room, player, failure = _player_or_error(request, code)
    if failure:
        return failure
    error = ""
    room.reveal_if_due()  # an answer after the timer ran out does not count
    question = get_question(room.current_question_id or "")
    form = PlayAnswerForm(request.POST)
    form.is_valid()
    index = form.cleaned_data.get("index", "")
    if room.state != Room.QUESTION or question is None or index != str(room.current):
        error = "That question is closed; here is where the class is now."
    else:
        try:
            selected = question.clean_selection(form.cleaned_data["choice"])
            seconds = (timezone.now() - room.question_opened_at).total_seconds() if room.question_opened_at else 0
            previous = player.answers.filter(index=room.current - 1).first()
            correct = question.is_correct(selected)
            points, streak = LiveAnswer.score(correct=correct, seconds=seconds, limit=room.seconds_per_question,
                                              previous_streak=previous.streak if previous else 0)
            with transaction.atomic():
                LiveAnswer.objects.create(room=room, player=player, index=room.current, selected=selected,
                                          correct=correct, seconds=max(0.0, seconds), points=points, streak=streak)
            # A live answer is a review too: a miss enters this phone's spaced-review deck (FSRS).
            spaced.review(services.review_key(request), request.user, question.id, correct=correct)
            room.reveal_if_due()  # the last player to answer reveals it for everyone
        except InvalidAnswer as exc:
            error = str(exc)
        except IntegrityError:
            error = "You already answered this question."
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
    room = _room(code)
    # The invite link's ?t=, or the confirmation form's t (a malformed one is no token).
    token = next((form.cleaned_data["t"] for form in (CohostForm(request.GET), CohostForm(request.POST))
                  if form.is_valid() and form.cleaned_data["t"]), "")
    if room is None or room.is_expired:
        return _live_error(request, "No open room has that code.")
    if not room.cohost_token or not hmac.compare_digest(str(token), room.cohost_token):
        return _live_error(request, "This co-host link is not valid for that room; ask the host for the link "
                                    "shown on their screen.", status=403)
    if request.method == "POST":
        room.cohosts.add(request.user)
        return HttpResponseRedirect(reverse("quiz:live_host", args=[room.code]))
    return render(request, "quiz/live/cohost.html", {"room": room, "token": token})


@require_GET
@host_required("Only the room's hosts can export its results.")
def export_csv(request: HttpRequest, room: Room) -> HttpResponse:
    """Results as CSV: one row per player, their rank and total, then points per question."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="quiz-{room.code}-results.csv"'
    writer = csv.writer(response)
    numbers = range(len(room.question_ids))
    writer.writerow(["rank", "nickname", "points", "correct", "answered", "best_streak"]
                    + [f"q{i + 1} {room.question_ids[i]}" for i in numbers])
    for row in room.player_scores():
        cells = []
        for i in numbers:
            a = row.by_question.get(i)
            cells.append("" if a is None else f"{'right' if a.correct else 'wrong'} {a.points}")
        # A nickname starting with = + - @ would run as a formula in a spreadsheet: quote it (OWASP CSV injection).
        name = "'" + row.nickname if row.nickname[:1] in "=+-@\t\r" else row.nickname
        writer.writerow([row.rank, name, row.points, row.correct, row.answered, row.best_streak] + cells)
    return response
