"""Practice, timed exam and review. One function view per interaction; each renders the full page, or for htmx
only the attempt panel (#quiz-attempt) from the same partial. Plain POSTs redirect (POST/redirect/GET)."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from . import generator, paths, services, spaced
from .forms import PATHS_LEVEL, AnswerForm, GeneratedForm, ReportForm, ReviewFilterForm, StartForm, TopicForm
from .bank import (DIFFICULTIES, DOMAINS, STYLES, TASKS, InvalidAnswer, Question, bank_counts, get_question,
                   load_bank)
from .models import Answer, Attempt, QuestionReport, ReviewCard
from .proof import engine_proof
from .services import QuizError

def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect a plain request; tell htmx to navigate the whole page instead of swapping a fragment."""
    if request.htmx:
        return HttpResponseClientRedirect(url, status=204)  # 204: nothing to swap; htmx follows the header
    return HttpResponseRedirect(url)


def not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "quiz/not_found.html", {"message": message}, status=404)


def _home_context(request: HttpRequest, form: StartForm | None = None,
                  generated_form: GeneratedForm | None = None) -> dict[str, Any]:
    attempts = list(services.attempts_for(request).order_by("-started_at")[:10])
    return {
        "form": form or StartForm(initial={"mode": Attempt.PRACTICE}),
        "generated_form": generated_form or GeneratedForm(auto_id="gen_%s"),  # ids apart from the start form
        "question_of_the_day": spaced.question_of_the_day(),
        "due_count": len(spaced.due_cards(services.review_key(request))),
        "attempts": attempts,
        "summary": services.bank_summary(),
        "total_questions": len(load_bank()),
        "max_questions": services.EXAM_MAX_QUESTIONS,
        "preset": services.DOMAIN_1,
        "task_counts": {task: sum(row.values()) for task, row in bank_counts().items()},
    }


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "quiz/home.html", _home_context(request))


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    form = StartForm(request.POST)
    if not form.is_valid():
        return render(request, "quiz/home.html", _home_context(request, form), status=400)
    data = form.cleaned_data
    try:
        ids = services.pick_question_ids(count=data["count"], domains=data["domains"],
                                         difficulties=data["difficulties"])
        minutes = data["minutes"] if data["mode"] == Attempt.EXAM else None
        title = "Timed exam" if minutes else "Practice"
        if data["domains"]:
            title += ": " + ", ".join(DOMAINS[d] for d in data["domains"])
        attempt = services.create_attempt(request, mode=data["mode"], question_ids=ids, minutes=minutes,
                                          title=title[:120])
    except QuizError as exc:
        form.add_error(None, str(exc))
        return render(request, "quiz/home.html", _home_context(request, form), status=400)
    return HttpResponseRedirect(reverse("quiz:question", args=[attempt.pk, 1]))


@require_POST
def start_preset(request: HttpRequest, slug: str) -> HttpResponse:
    """A ready-made timed exam (services.PRESETS), e.g. domain 1's share of the real exam."""
    preset = services.PRESETS.get(slug)
    if preset is None:
        return not_found(request, "There is no such ready-made exam.")
    attempt = services.create_attempt(request, mode=Attempt.EXAM, question_ids=services.preset_question_ids(preset),
                                      minutes=preset.minutes, title=preset.title)
    return HttpResponseRedirect(reverse("quiz:question", args=[attempt.pk, 1]))


@require_POST
def practice_one(request: HttpRequest, qid: str) -> HttpResponse:
    """Start a one-question practice attempt from the question browser."""
    if get_question(qid) is None:
        return not_found(request, f"There is no question with the id “{qid[:64]}” in the bank.")
    attempt = services.create_attempt(request, mode=Attempt.PRACTICE, question_ids=[qid], title="Single question")
    return HttpResponseRedirect(reverse("quiz:question", args=[attempt.pk, 1]))


@require_GET
def browse(request: HttpRequest) -> HttpResponse:
    form = TopicForm(request.GET)
    domain = form.cleaned_data["topic"] if form.is_valid() else "?"   # an oversized topic is an unknown one
    questions = [q for q in load_bank().values() if not domain or q.domain == domain]
    if domain and domain not in DOMAINS:
        return render(request, "quiz/browse.html", {"questions": [], "domains": DOMAINS, "topic": "",
                                                    "error": "Unknown topic; showing nothing."}, status=400)
    counts = [{"label": TASKS[task], "cells": [row[level] for level in DIFFICULTIES], "total": sum(row.values())}
              for task, row in bank_counts().items()]
    return render(request, "quiz/browse.html", {"questions": questions, "domains": DOMAINS, "topic": domain,
                                                "styles": STYLES, "counts": counts, "difficulties": DIFFICULTIES})


def _load(request: HttpRequest, attempt_id) -> Attempt | None:
    attempt = services.get_attempt(request, attempt_id)
    if attempt is not None:
        services.expire_if_due(attempt)
        attempt.refresh_from_db()
    return attempt


def with_attempt(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """URL's `attempt_id` -> the view's `attempt`: this browser's (or signed-in user's) attempt, its deadline
    applied; the quiz's not-found page for anyone else's."""
    @wraps(view)
    def wrapper(request: HttpRequest, attempt_id: Any, **kwargs: Any) -> HttpResponse:
        attempt = _load(request, attempt_id)
        if attempt is None:
            return not_found(request, "This attempt does not exist, or it was started in another browser.")
        return view(request, attempt, **kwargs)
    return wrapper


def _navigator(attempt: Attempt, current: int) -> list[dict[str, Any]]:
    return [{"number": a.position + 1, "answered": a.is_answered, "flagged": a.flagged,
             "correct": a.correct, "current": a.position + 1 == current}
            for a in attempt.answers.all()]


def _question_context(request: HttpRequest, attempt: Attempt, answer: Answer, *, error: str = "",
                      pending: list[str] | None = None) -> dict[str, Any]:
    question = get_question(answer.question_id)
    number = answer.position + 1
    show_feedback = attempt.mode == Attempt.PRACTICE and answer.is_answered or attempt.is_submitted
    selected = pending if pending is not None else answer.selected
    ctx: dict[str, Any] = {
        "attempt": attempt, "answer": answer, "question": question, "number": number,
        "options": services.display_options(question, str(attempt.pk)),
        "selected": set(selected or []),
        "show_feedback": show_feedback,
        "proof": engine_proof(question) if show_feedback else None,
        "error": error,
        "navigator": _navigator(attempt, number),
        "prev_number": number - 1 if number > 1 else None,
        "next_number": number + 1 if number < attempt.total else None,
        "seconds_left": attempt.seconds_left(),
        "unanswered": attempt.answers.filter(selected=[]).count(),
        "flagged_count": attempt.answers.filter(flagged=True).count(),
        # While an exam runs, the navigator's numbers submit the answer form, so no selection is dropped.
        "nav_form": f"quiz-answer-{number}" if attempt.is_exam and not attempt.is_submitted else "",
        "report_form": ReportForm(initial={"attempt": attempt.pk,
                                           "next": reverse("quiz:question", args=[attempt.pk, number])},
                                  auto_id=f"report-{number}-%s"),
    }
    return ctx


def _render_question(request: HttpRequest, ctx: dict[str, Any], status: int = 200) -> HttpResponse:
    template = "quiz/_attempt_panel.html" if request.htmx else "quiz/question.html"
    return render(request, template, ctx, status=status if not request.htmx else 200)


@require_http_methods(["GET", "POST"])
@with_attempt
def question(request: HttpRequest, attempt: Attempt, number: int) -> HttpResponse:
    if attempt.is_exam and attempt.is_submitted:
        return _redirect(request, reverse("quiz:review", args=[attempt.pk]))
    answer = services.slot(attempt, number)
    if answer is None:
        return not_found(request, f"This attempt has questions 1 to {attempt.total}; there is no question "
                                  f"{number}.")
    if get_question(answer.question_id) is None:
        return not_found(request, "This question is no longer in the bank.")
    if request.method == "GET":
        services.start_viewing(attempt, answer)
        response = _render_question(request, _question_context(request, attempt, answer))
        if request.htmx:
            push_url(response, reverse("quiz:question", args=[attempt.pk, number]))
        return response
    return _answer(request, attempt, answer)


def _answer(request: HttpRequest, attempt: Attempt, answer: Answer) -> HttpResponse:
    """POST on a question: save the selection (if any), then move where the pressed button says."""
    form = AnswerForm(request.POST, questions=attempt.total)
    # An unknown button must not cost the learner the choices they ticked: they are saved as "stay" saves them
    # (move nowhere), and the page says what was wrong with a 400.
    refused_button = form.button_problem()
    values = form.cleaned_data["choice"]  # at most one too many: clean_selection rejects that with a clear message
    go = "stay" if refused_button else form.cleaned_data["go"]
    number = answer.position + 1
    if go not in ("stay", "flag", "clear") and attempt.is_exam:
        services.stop_viewing(attempt, answer)  # leaving this question (next, a number, submit, time out)
    try:
        if go == "clear" and attempt.is_exam:
            answer.selected, answer.correct, answer.answered_at = [], None, None
            answer.save(update_fields=["selected", "correct", "answered_at"])
        elif values or attempt.mode == Attempt.PRACTICE:
            services.record_answer(attempt, answer, values)
    except (InvalidAnswer, QuizError) as exc:
        if go == "timeout" and attempt.is_exam:  # the countdown's last save failed: end the exam all the same
            services.submit_attempt(attempt)
            return _redirect(request, reverse("quiz:review", args=[attempt.pk]))
        ctx = _question_context(request, attempt, answer, error=" ".join(filter(None, [refused_button, str(exc)])),
                                pending=[v for v in values if isinstance(v, str) and len(v) == 1])
        return _render_question(request, ctx, status=400)
    attempt.refresh_from_db()
    if refused_button:
        answer.refresh_from_db()
        saved = " Your selection was saved." if values else ""
        return _render_question(request, _question_context(request, attempt, answer,
                                                           error=refused_button + saved), status=400)
    target = number
    if go == "next" and number < attempt.total:
        target = number + 1
    elif go == "prev" and number > 1:
        target = number - 1
    elif go.isdigit():   # AnswerForm keeps only the attempt's question numbers
        target = int(go)
    elif go == "flag" and attempt.is_exam:  # the flag button submits the answer form, so a selection is kept
        answer.refresh_from_db()
        answer.flagged = not answer.flagged
        answer.save(update_fields=["flagged"])
    elif go == "finish":
        return _redirect(request, reverse("quiz:submit", args=[attempt.pk]))
    elif go == "timeout" and attempt.is_exam:
        # The countdown reached zero: the selection on screen was saved above; submit now (submit_attempt marks
        # it timed out when it is at or past the deadline minus services.TIMEOUT_MARGIN).
        services.submit_attempt(attempt)
        return _redirect(request, reverse("quiz:review", args=[attempt.pk]))
    url = reverse("quiz:question", args=[attempt.pk, target])
    if not request.htmx:
        return HttpResponseRedirect(url)
    target_answer = services.slot(attempt, target)
    services.start_viewing(attempt, target_answer)
    return push_url(_render_question(request, _question_context(request, attempt, target_answer)), url)


@require_POST
@with_attempt
def flag(request: HttpRequest, attempt: Attempt, number: int) -> HttpResponse:
    if attempt.is_submitted:
        return _redirect(request, reverse("quiz:review", args=[attempt.pk]))
    answer = services.slot(attempt, number)
    if answer is None:
        return not_found(request, f"There is no question {number} in this attempt.")
    answer.flagged = not answer.flagged
    answer.save(update_fields=["flagged"])
    if not request.htmx:
        return HttpResponseRedirect(reverse("quiz:question", args=[attempt.pk, number]))
    return _render_question(request, _question_context(request, attempt, answer))


@require_http_methods(["GET", "POST"])
@with_attempt
def submit(request: HttpRequest, attempt: Attempt) -> HttpResponse:
    """GET: a confirmation page listing unanswered and flagged questions. POST: submit and go to the review."""
    if attempt.is_submitted or request.method == "POST":
        services.submit_attempt(attempt)
        return _redirect(request, reverse("quiz:review", args=[attempt.pk]))
    return render(request, "quiz/submit.html", {
        "attempt": attempt, "navigator": _navigator(attempt, 0),
        "unanswered": [a.position + 1 for a in attempt.answers.all() if not a.is_answered],
        "flagged": [a.position + 1 for a in attempt.answers.all() if a.flagged],
        "seconds_left": attempt.seconds_left(),
    })


@require_GET
@with_attempt
def resume(request: HttpRequest, attempt: Attempt) -> HttpResponse:
    """Where to continue: the review once submitted, else the first unanswered question."""
    if attempt.is_submitted:
        return HttpResponseRedirect(reverse("quiz:review", args=[attempt.pk]))
    first_open = attempt.answers.filter(selected=[]).order_by("position").first()
    number = first_open.position + 1 if first_open else attempt.total
    return HttpResponseRedirect(reverse("quiz:question", args=[attempt.pk, number]))


@require_GET
@with_attempt
def review(request: HttpRequest, attempt: Attempt) -> HttpResponse:
    if not attempt.is_submitted:
        return HttpResponseRedirect(reverse("quiz:submit", args=[attempt.pk]))
    form = ReviewFilterForm(request.GET)
    only = form.cleaned_data["only"] if form.is_valid() else ""   # an unknown filter shows every question
    items = []
    seed = str(attempt.pk)
    for answer in attempt.answers.all():
        q: Question | None = get_question(answer.question_id)
        if q is None:
            continue
        if only == "wrong" and answer.correct:
            continue
        if only == "flagged" and not answer.flagged:
            continue
        items.append({
            "answer": answer, "question": q, "number": answer.position + 1,
            "options": services.display_options(q, seed), "selected": set(answer.selected),
            "your_letters": services.letters_for(q, seed, answer.selected),
            "right_letters": services.letters_for(q, seed, q.correct_keys),
            "proof": engine_proof(q),
            "report_form": ReportForm(initial={"attempt": attempt.pk, "next": reverse("quiz:review", args=[attempt.pk])},
                                      auto_id=f"report-{answer.position + 1}-%s"),
        })
    pacing = services.pacing(attempt)
    seconds = {row.number: row.seconds for row in pacing.rows}
    for item in items:
        item["seconds"] = seconds.get(item["number"], 0)
    return render(request, "quiz/review.html", {
        "attempt": attempt, "items": items, "breakdown": services.breakdown(attempt), "only": only,
        "pacing": pacing, "exam_pace": services.EXAM_SECONDS_PER_QUESTION,
        "wrong_count": len(services.wrong_question_ids(attempt)),
        "flagged_count": attempt.answers.filter(flagged=True).count(),
    })


@require_POST
@with_attempt
def retry(request: HttpRequest, attempt: Attempt) -> HttpResponse:
    if not attempt.is_submitted:
        return HttpResponseRedirect(reverse("quiz:submit", args=[attempt.pk]))
    ids = services.wrong_question_ids(attempt)
    if not ids:
        return HttpResponseRedirect(reverse("quiz:review", args=[attempt.pk]))
    new = services.create_attempt(request, mode=Attempt.PRACTICE, question_ids=ids, retry_of=attempt,
                                  title=services.retry_title(attempt))
    return HttpResponseRedirect(reverse("quiz:question", args=[new.pk, 1]))


@require_POST
def start_generated(request: HttpRequest) -> HttpResponse:
    """A practice attempt of engine-made questions; with a seed, exactly that question (shareable)."""
    form = GeneratedForm(request.POST, auto_id="gen_%s")
    if not form.is_valid():
        return render(request, "quiz/home.html", _home_context(request, generated_form=form), status=400)
    data = form.cleaned_data
    difficulty = data["difficulty"]
    if difficulty == PATHS_LEVEL:
        ids = [f"{paths.PREFIX}{data['seed']}"] if data["seed"] is not None else paths.new_ids(data["count"])
        title = "Engine-made questions (which path leads to admin?)"
    else:
        ids = ([f"gen-{difficulty}-{data['seed']}"] if data["seed"] is not None
               else generator.new_ids(difficulty, data["count"]))
        title = f"Engine-made questions ({DIFFICULTIES[difficulty].lower()})"
    attempt = services.create_attempt(request, mode=Attempt.PRACTICE, question_ids=ids, title=title)
    return HttpResponseRedirect(reverse("quiz:question", args=[attempt.pk, 1]))


@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    """Spaced review and readiness: the due-today queue, missed and flagged questions, readiness per task
    statement and its chart over time."""
    key = services.review_key(request)
    attempts = services.attempts_for(request)
    cards = [c for c in ReviewCard.objects.filter(owner_key=key) if get_question(c.question_id)]
    due = spaced.due_cards(key)
    readiness = spaced.readiness(attempts)
    return render(request, "quiz/progress.html", {
        "readiness": readiness,
        "estimate": spaced.readiness_estimate(readiness),
        "chart": mark_safe(spaced.progress_svg(spaced.progress_series(attempts))),  # built from numbers + escape
        "due": [(c, get_question(c.question_id)) for c in due],
        "upcoming": [(c, get_question(c.question_id)) for c in cards if c not in due][:20],
        "question_of_the_day": spaced.question_of_the_day(),
    })


@require_POST
def start_review(request: HttpRequest) -> HttpResponse:
    """Practise today's due cards (at most 30, most overdue first)."""
    due = spaced.due_cards(services.review_key(request))[:30]
    if not due:
        return HttpResponseRedirect(reverse("quiz:progress"))
    attempt = services.create_attempt(request, mode=Attempt.PRACTICE, question_ids=[c.question_id for c in due],
                                      title="Spaced review: due today")
    return HttpResponseRedirect(reverse("quiz:question", args=[attempt.pk, 1]))


# ---- reports ---------------------------------------------------------------------------------------------------

@require_POST
def report_question(request: HttpRequest, qid: str) -> HttpResponse:
    """"Report this question": stored with the learner's note for the operator (reports below). htmx gets the
    panel back (thanks, or the form with its error); a plain form post goes back where it came from."""
    question = get_question(qid[:64])
    if question is None:
        return not_found(request, "There is no such question to report.")
    form = ReportForm(request.POST, auto_id="report-%s")
    status, done, error = 200, False, ""
    if form.is_valid():
        data = form.cleaned_data
        attempt = services.get_attempt(request, data["attempt"]) if data.get("attempt") else None
        try:
            services.report_question(request, question, reason=data["reason"], note=data["note"].strip(),
                                     attempt=attempt)
            done = True
        except services.TooManyReports as exc:
            status, error = 429, str(exc)
    else:
        status = 400
    if not request.htmx and done:
        target = form.cleaned_data.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            target = reverse("quiz:home")
        return HttpResponseRedirect(target)
    template = "quiz/_report.html" if request.htmx else "quiz/report_page.html"
    return render(request, template, {"question": question, "report_form": form, "report_done": done,
                                      "report_error": error}, status=status)


@require_GET
@permission_required("quiz.view_questionreport", raise_exception=True)
def reports(request: HttpRequest) -> HttpResponse:
    """The operator's list: open reports first, each with its question, the learner's reason and note."""
    rows = []
    for report in QuestionReport.objects.select_related("user").order_by("resolved_at", "-created_at")[:300]:
        rows.append({"report": report, "question": get_question(report.question_id)})
    return render(request, "quiz/reports.html", {
        "rows": rows, "open_count": QuestionReport.objects.filter(resolved_at__isnull=True).count(),
        "can_resolve": request.user.has_perm("quiz.change_questionreport")})


@require_POST
@permission_required("quiz.change_questionreport", raise_exception=True)
def resolve_report(request: HttpRequest, pk: int) -> HttpResponse:
    QuestionReport.objects.filter(pk=pk, resolved_at__isnull=True).update(resolved_at=timezone.now())
    return HttpResponseRedirect(reverse("quiz:reports"))
