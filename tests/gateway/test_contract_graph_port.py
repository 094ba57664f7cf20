"""engine.ports.GraphPort's contract, in-process and over lab control (the `ports` fixture): the access graph of a
sandbox, its edges proven, its own accounts only, the kept sessions chosen by access key id (issue 26)."""
from __future__ import annotations

import secrets

from engine.graph import new_edges, shortest_path
from gateway_kit import new_account, trust


def test_the_graph_of_a_sandbox_its_sessions_and_nothing_of_another(ports) -> None:
    sandbox, dev, prod = "ct-" + secrets.token_hex(4), new_account(), new_account()
    other, theirs = "ct-" + secrets.token_hex(4), new_account()
    ports.lab.register_sandbox(sandbox, {"dev": dev, "prod": prod})
    ports.lab.register_sandbox(other, {"main": theirs})
    iam_dev, iam_prod = ports.admin("iam", dev), ports.admin("iam", prod)
    iam_dev.create_user(UserName="dana")
    iam_dev.put_user_policy(UserName="dana", PolicyName="assume", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'))
    hop = iam_prod.create_role(RoleName="Hop", AssumeRolePolicyDocument=trust(
        {"AWS": f"arn:aws:iam::{dev}:root"}))["Role"]["Arn"]
    ports.admin("iam", theirs).create_role(RoleName="Open", AssumeRolePolicyDocument=trust({"AWS": "*"}))
    graph = ports.lab.access_graph(sandbox)
    dana = f"arn:aws:iam::{dev}:user/dana"
    assert {n["account"] for n in graph["nodes"]} <= {dev, prod, ""}
    path = shortest_path(graph, dana, hop)
    assert path is not None and path[0]["proofs"][0]["allowed"] and path[0]["method"] == "assume-role"
    assert ports.lab.access_graph(sandbox, []) == graph          # no role session held: the same graph
    iam_prod.update_assume_role_policy(RoleName="Hop", PolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    after = ports.lab.access_graph(sandbox)
    assert shortest_path(after, dana, hop) is None and new_edges(graph, after) == {
        f"ec2.amazonaws.com|service|{hop}"}
