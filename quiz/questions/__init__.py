"""Question data modules; each defines QUESTIONS, a list of dicts validated by quiz.bank.build_question."""
