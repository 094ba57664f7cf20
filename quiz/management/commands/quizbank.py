"""`manage.py quizbank`: how many questions the bank has per SAA-C03 task statement and difficulty.

    --audit    the item writer's figures (quiz.audit): length cue, key length ranks, exhibits AWS would refuse,
               teaching links that do not name their topic
    --reports  learners' open reports of questions, with their notes (also at /quiz/reports/ for operators)
"""
from __future__ import annotations

from django.core.management.base import BaseCommand

from quiz import audit, teaching
from quiz.bank import DIFFICULTIES, TASKS, bank_counts, load_bank
from quiz.models import QuestionReport


class Command(BaseCommand):
    help = "List the written questions per task statement and difficulty (engine-made ones are unlimited)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--audit", action="store_true", help="print the item writer's checks")
        parser.add_argument("--reports", action="store_true", help="list learners' open reports of questions")

    def handle(self, *args, audit: bool = False, reports: bool = False, **options) -> None:
        counts = bank_counts()
        levels = list(DIFFICULTIES)
        self.stdout.write(f"{'task statement':<58}" + "".join(f"{lvl:>8}" for lvl in levels) + f"{'total':>8}")
        for task, label in TASKS.items():
            row = counts[task]
            self.stdout.write(f"{label:<58}" + "".join(f"{row[lvl]:>8}" for lvl in levels)
                              + f"{sum(row.values()):>8}")
        totals = [sum(counts[t][lvl] for t in TASKS) for lvl in levels]
        self.stdout.write(f"{'all written questions':<58}" + "".join(f"{n:>8}" for n in totals)
                          + f"{len(load_bank()):>8}")
        self.stdout.write("engine-made questions (quiz.generator, task 1.1): unlimited at each difficulty, "
                          "one per seed")
        if audit:
            self._audit()
        if reports:
            self._reports()

    def _audit(self) -> None:
        bank = list(load_bank().values())
        cue = audit.length_cue(bank)
        pct = lambda n: f"{n} ({100 * cue.share(n):.0f} %)"  # noqa: E731
        self.stdout.write(f"\nsingle-answer items: {cue.items}")
        self.stdout.write(f"key is the longest option: {pct(cue.longest)} by characters, {pct(cue.longest_words)} "
                          "by words (at most a third)")
        self.stdout.write(f"key >= 30 % longer than every distractor: {pct(cue.much_longer)} by characters, "
                          f"{pct(cue.much_longer_words)} by words (at most 10 %)")
        self.stdout.write("key's length rank, shortest to longest: " + " / ".join(str(n) for n in cue.key_rank))
        refused = [f"{q.id}: {p}" for q in bank for p in audit.exhibit_problems(q)]
        self.stdout.write(f"exhibits AWS would refuse (other than the mistake an item shows): {len(refused)}")
        for line in refused:
            self.stdout.write(f"  {line}")
        linked = [q for q in bank if q.teaches]
        untaught = [f"{q.id}: {q.teaches} never names {teaching.missing_topics(q)}" for q in linked
                    if teaching.missing_topics(q)]
        self.stdout.write(f"questions linking a lab page: {len(linked)} of {len(bank)}; links that do not name "
                          f"their topic: {len(untaught)}")
        for line in untaught:
            self.stdout.write(f"  {line}")

    def _reports(self) -> None:
        open_reports = QuestionReport.objects.filter(resolved_at__isnull=True).order_by("-created_at")
        self.stdout.write(f"\nopen reports: {open_reports.count()}")
        for report in open_reports[:200]:
            note = " ".join(report.note.split())
            self.stdout.write(f"  {report.created_at:%Y-%m-%d %H:%M} {report.question_id} "
                              f"[{report.get_reason_display()}] {note}")
