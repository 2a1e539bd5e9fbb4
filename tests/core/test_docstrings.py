"""Every public definition of the core says what it is: modules, classes, functions, methods
and properties whose names do not start with an underscore."""

import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass

import pytest

import gsomia.core
from gsomia.core import calendar, labels, markings, policy, routing
from gsomia.core.agreements import Agreement, Lifecycle, Status


def public_definitions():
    """(qualified name, object) for each public module, class, function, method and property."""
    yield gsomia.core.__name__, gsomia.core
    for info in pkgutil.iter_modules(gsomia.core.__path__, "gsomia.core."):
        module = importlib.import_module(info.name)
        yield info.name, module
        for name, member in vars(module).items():
            defined_here = getattr(member, "__module__", None) == module.__name__
            if name.startswith("_") or not defined_here:
                continue
            if inspect.isfunction(member):
                yield f"{info.name}.{name}", member
            elif inspect.isclass(member):
                yield f"{info.name}.{name}", member
                yield from class_members(f"{info.name}.{name}", member)


def class_members(prefix, cls):
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        function = member.__func__ if isinstance(member, classmethod | staticmethod) else member
        if inspect.isfunction(function) or isinstance(member, property):
            yield f"{prefix}.{name}", function


def own_docstring(definition):
    doc = definition.__doc__
    # A dataclass without a docstring gets its signature as one.
    if inspect.isclass(definition) and doc and doc.startswith(f"{definition.__name__}("):
        return None
    return doc.strip() if doc else None


def test_every_public_definition_of_the_core_has_a_docstring():
    definitions = dict(public_definitions())
    assert "gsomia.core.agreements.Lifecycle.status" in definitions  # the walk reaches methods
    assert "gsomia.core.agreements.Status.in_force" in definitions  # and properties
    missing = sorted(
        name for name, definition in definitions.items() if not own_docstring(definition)
    )
    assert not missing, "public definitions without a docstring: " + ", ".join(missing)


def test_a_dataclass_signature_does_not_count_as_a_docstring():
    @dataclass
    class Undocumented:
        x: int

    assert own_docstring(Undocumented) is None


# The functions that implement a rule of the agreements.
RULES = [
    policy.decide_release,
    policy.decide_receipt,
    policy.decide_hop,
    policy.decide_access,
    policy.decide_transfer,
    policy.Consent.valid_at,
    routing.routes,
    Agreement.covers,
    Agreement.equivalent_marking,
    Agreement.equivalent_english,
    Agreement.in_scope,
    vars(Status)["in_force"].fget,
    Lifecycle.in_force,
    Lifecycle.status,
    Lifecycle.term_at,
    Lifecycle.notice_effect,
    Lifecycle.notice_at,
    calendar.term_end,
    calendar.term_index,
    calendar.term_start,
    calendar.notice_deadline,
    calendar.after_notice_period,
    labels.Label.may_be_held_by,
    labels.Label.received_by,
    labels.Label.handed_over,
    markings.at_or_above,
]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__qualname__)
def test_each_rules_docstring_cites_its_article_on_its_first_line(rule):
    first_line = (rule.__doc__ or "").strip().splitlines()[0]
    assert re.search(r"\bArt \d+|\bTISA\b", first_line), first_line
