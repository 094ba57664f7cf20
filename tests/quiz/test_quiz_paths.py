"""Engine-made "which path leads to admin?" questions (quiz/paths.py): valid, reproducible, and the right option is
what a fresh access graph of the exhibits' policies says, never a path the engine refuses."""
from __future__ import annotations

import pytest

from engine.directory import AccountEntities, InstanceProfileInfo, PolicyText, RoleInfo, UserInfo
from engine.graph import SandboxPrincipals, build_graph, shortest_path
from quiz import paths
from quiz.bank import get_question


def fresh_answer(question) -> str:
    """Build the graph again from what the learner sees (the exhibits) and say the right option's text."""
    shown = {ex.name: ex.text for ex in question.exhibits}
    prod = paths.PROD
    boundary = f"arn:aws:iam::{prod}:policy/Shown" if "boundary" in shown else None
    everything = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
    entities = AccountEntities(prod, users=(
        UserInfo(prod, "dana", paths.ARN["dana"], "AIDADANA", "/", {}, [PolicyText("p", shown["dana"])], boundary),
        UserInfo(prod, "erin", paths.ARN["erin"], "AIDAERIN", "/", {}, [PolicyText("p", shown["erin"])], None)),
        roles=(RoleInfo(prod, "Deploy", paths.ARN["Deploy"], "AROADEPLOY", "/", shown["Deploy trust"], {}, 3600,
                        [PolicyText("p", shown["Deploy"])], None),
               RoleInfo(prod, "Admin", paths.ARN["Admin"], "AROAADMIN", "/", shown["Admin trust"], {}, 3600,
                        [PolicyText("p", everything)], None)),
        instance_profiles=(InstanceProfileInfo(prod, "Admin", f"arn:aws:iam::{prod}:instance-profile/Admin", "AIPA",
                                               (paths.ARN["Admin"],)),))
    graph = build_graph(SandboxPrincipals({"production": prod}, (entities,), {},
                                          {boundary: shown["boundary"]} if boundary else {})).to_dict()
    path = shortest_path(graph, paths.ARN["dana"])
    if path is None:
        return paths.NO_PATH
    text = paths._hops_text(tuple((paths.NAME[e["source"]], e["method"], paths.NAME[e["target"]]) for e in path))
    return text[0].upper() + text[1:]


def test_three_hundred_seeds_make_valid_questions_a_fresh_graph_agrees_with() -> None:
    answers = set()
    for seed in range(300):
        question = paths.build(seed)
        right = [o for o in question.options if o.correct]
        assert len(question.options) == 4 and len(right) == 1, seed
        assert len({o.text for o in question.options}) == 4, seed
        assert right[0].text == fresh_answer(question), seed
        answers.add(right[0].text == paths.NO_PATH)
    assert answers == {True, False}        # both kinds of answer occur


def test_the_page_proof_rebuilds_the_graph_and_backs_the_marked_answer() -> None:
    from quiz.proof import engine_proof

    for seed in range(40):
        question = paths.build(seed)
        proof = engine_proof(question)
        assert proof is not None and proof.available and proof.check == "graph", seed
        assert proof.option_key == next(o.key for o in question.options if o.correct), seed
        assert proof.evaluations > 0


def test_ids_resolve_through_the_bank_and_a_seed_is_a_question() -> None:
    assert get_question("genpath-42") == paths.build(42)
    assert get_question("genpath-x") is None and paths.resolve("genpath-1000000000") is None
    with pytest.raises(ValueError):
        paths.build(-1)


@pytest.mark.django_db
def test_a_learner_practises_path_questions(client) -> None:
    from quiz.models import Attempt

    response = client.post("/quiz/generated/", {"difficulty": "paths", "count": "2"})
    attempt = Attempt.objects.get()
    assert response["Location"] == f"/quiz/a/{attempt.pk}/q/1/"
    assert len(attempt.question_ids) == 2 and all(q.startswith("genpath-") for q in attempt.question_ids)
    question = get_question(attempt.question_ids[0])
    right = next(o.key for o in question.options if o.correct)
    html = client.post(f"/quiz/a/{attempt.pk}/q/1/", {"choice": [right], "go": "stay"}, follow=True).content.decode()
    assert "Correct" in html and "Which path leads to admin" in client.get("/quiz/").content.decode()
    assert "The lab built the access graph of exactly these principals" in html
    client.post("/quiz/generated/", {"difficulty": "paths", "count": "1", "seed": "7"})
    assert Attempt.objects.order_by("-started_at").first().question_ids == ["genpath-7"]
