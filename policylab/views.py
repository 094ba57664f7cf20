"""The policy lab's pages: one function view per interaction, each on the visitor's own sandbox (@with_sandbox).
What they do lives in policylab/lab.py; the forms in policylab/forms.py."""
from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from sandboxes.decorators import SandboxRequest, with_sandbox

from . import lab
from .forms import CheckForm, SimulateForm


def _context(request: SandboxRequest, **extra: Any) -> dict[str, Any]:
    sandbox = request.sandbox
    accounts = sandbox.account_ids()
    production = accounts.get("production", "")
    initial_trust = ('{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Effect": "Allow",\n    "Principal": '
                     f'{{"AWS": "arn:aws:iam::{production}:user/{lab.ADMIN_USER}"}},\n    "Action": "sts:AssumeRole",'
                     '\n    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}\n  }]\n}')
    context = {
        "sandbox": sandbox, "principals": lab.principals(sandbox),
        "simulate_form": SimulateForm(initial={
            "principal": f"arn:aws:iam::{production}:user/{lab.ADMIN_USER}", "actions": "sts:AssumeRole",
            "context": "aws:MultiFactorAuthPresent = false"}),
        "check_form": CheckForm(initial={"policy_type": "trust", "existing": initial_trust,
                                         "new": initial_trust.replace(',\n    "Condition": {"Bool": '
                                                                      '{"aws:MultiFactorAuthPresent": "true"}}', "")}),
    }
    context.update(extra)
    return context


def _answer(request: SandboxRequest, partial: str, status: int, **extra: Any) -> HttpResponse:
    if request.htmx:
        return render(request, partial, {"sandbox": request.sandbox, **extra}, status=status)
    return render(request, "policylab/lab.html", _context(request, **extra), status=status)


@require_GET
@never_cache
@with_sandbox
def lab_page(request: SandboxRequest) -> HttpResponse:
    return render(request, "policylab/lab.html", _context(request))


@require_POST
@never_cache
@with_sandbox
def simulate(request: SandboxRequest) -> HttpResponse:
    form = SimulateForm(request.POST)
    if not form.is_valid():
        return _answer(request, "policylab/_simulation.html", 400, simulate_form=form)
    data = form.cleaned_data
    simulation = lab.simulate(request.sandbox, data["principal"], data["actions"], data["resources"],
                              data["context"])
    return _answer(request, "policylab/_simulation.html", 200, simulate_form=form, simulation=simulation)


@require_POST
@never_cache
@with_sandbox
def check(request: SandboxRequest) -> HttpResponse:
    form = CheckForm(request.POST)
    if not form.is_valid():
        return _answer(request, "policylab/_check.html", 400, check_form=form)
    data = form.cleaned_data
    result = lab.check(request.sandbox, data["policy_type"], data["existing"], data["new"], data["role"])
    return _answer(request, "policylab/_check.html", 200, check_form=form, check=result)
