"""`manage.py quizbank`: how many questions the bank has per SAA-C03 task statement and difficulty."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from quiz.bank import DIFFICULTIES, TASKS, bank_counts, load_bank


class Command(BaseCommand):
    help = "List the written questions per task statement and difficulty (engine-made ones are unlimited)."

    def handle(self, *args, **options) -> None:
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
