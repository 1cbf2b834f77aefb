"""Copyfitting: bring a profile to its page budget, or pull back a short last page.

A production desk fits copy by hand every issue: a story one page too long loses a
pull quote, its picture is cropped tighter, its text tracked in a little. A layout
declares such steps in ``layout.yaml`` (``fitting: steps:``), each setting layout
variables; pressroom lays the profile out, measures it, and tries the steps in order,
adding them up, until it fits:

- with a page budget (an edition's ``profiles: [{profile: slug, pages: 4}]``), until
  the profile takes no more pages than its budget;
- without one, when the last page holds less than ``short_page`` percent of a page,
  until that page is pulled back (steps marked ``budget_only``, which change what is
  shown, are left out).

When no step gets there, the profile is set as it was and the report says how far it
is off. Every render costs a layout, so a step that changes nothing is not rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .layouts import FittingSpec, Layout, length_mm, render_profile_html, variable_values
from .render import HtmlDocument
from .variables import Value


def fit(
    make: Callable[[dict[str, Value]], HtmlDocument],
    render: Callable[[HtmlDocument], Any],
    spec: FittingSpec,
    budget: int | None = None,
    values: dict[str, Any] | None = None,
    decided: dict | None = None,
) -> Any:
    """Lay out ``make({})`` with ``render``, then with fitting steps while it does not fit.

    ``make(variables)`` builds the document with the steps' variables; ``render`` lays it
    out (a :class:`~pressroom.render.RenderResult`, with ``copyfit``). ``values`` are the
    layout's variables (leading, columns) to count lines with. The result's
    ``copyfit["fit"]`` says what was asked, what was done and how far off it is.

    ``decided``: the ``copyfit["fit"]`` of a fitting already made ({} when none was
    needed), whose steps are taken as they are, in one layout (an edition's piece set
    as its profile's own PDF was: see :func:`decision`).
    """
    if decided is not None:
        return _as_decided(make, render, spec, decided, values or {})
    document = make({})
    result = render(document)
    values = values or {}
    goal = _goal(result.copyfit, spec, budget)
    report: dict[str, Any] = {"budget": budget} if budget else {}
    if goal is not None:
        report["reason"] = goal
        report["steps"], tried = [], []
        steps = [s for s in spec.steps if goal == "budget" or not s.budget_only]
        fitted: dict[str, Value] = {}
        previous = document
        for step in steps:
            fitted = {**fitted, **step.variables}
            trial_document = make(fitted)
            if _same(trial_document, previous):
                continue  # nothing this step changes is in this profile
            previous = trial_document
            tried.append(step.name)
            trial = render(trial_document)
            last = trial
            outcome = _better(trial.copyfit, result.copyfit, goal, budget)
            if outcome:
                result = trial
                report["steps"] = list(tried)
                report["result"] = outcome
                # Fits; an unstranded box goes on to be pulled back by more steps, but
                # only while its last page is still short (each try is a full layout).
                if outcome != "unstranded" or _goal(result.copyfit, spec, budget) is None:
                    break
        if not report["steps"]:
            report["tried"] = tried
            if tried and budget:  # how far every step together got
                report["lines_with_steps"] = _lines(last.copyfit, budget, values)
    if budget or goal is not None:
        report["lines"] = _lines(result.copyfit, budget, values)
        report["fits"] = result.pages <= budget if budget else bool(report["steps"])
        result.copyfit["fit"] = report
    return result


def fit_profile(profile, layout: Layout, output_format, lay_out: Callable[[HtmlDocument], Any]):
    """A profile on its own (its own PDF), fitted as ``layout`` says; ``lay_out`` renders."""
    return fit(
        lambda fitted: render_profile_html(profile, layout, output_format, fitted),
        lay_out,
        layout.fitting,
        values=variable_values(layout, output_format, profile.workspace, profile=profile),
    )


def decision(fit_report: dict | None) -> dict:
    """What :func:`fit` decided, to be taken as it is elsewhere (``decided``): the reason
    and the steps taken, or {} when the pages needed no fitting."""
    if not fit_report:
        return {}
    return {k: fit_report[k] for k in ("reason", "steps", "result", "tried") if k in fit_report}


def _as_decided(make, render, spec: FittingSpec, decided: dict, values: dict) -> Any:
    """One layout with the steps ``decided`` took (and the variables of the steps they
    passed over, which changed nothing), reported as that fitting was."""
    taken = decided.get("steps") or []
    fitted: dict[str, Value] = {}
    steps = [s for s in spec.steps if decided.get("reason") == "budget" or not s.budget_only]
    for step in steps if taken else []:
        fitted = {**fitted, **step.variables}
        if step.name == taken[-1]:
            break
    result = render(make(fitted))
    if decided:
        report = {**decided, "lines": _lines(result.copyfit, None, values)}
        report["fits"] = bool(taken)
        result.copyfit["fit"] = report
    return result


def _goal(copyfit: dict, spec: FittingSpec, budget: int | None) -> str | None:
    """Why the profile needs fitting ("budget", "short page"), or None."""
    pages = copyfit.get("pages", 0)
    if budget is not None:
        return "budget" if pages > budget else None
    if spec.short_page and pages > 1 and copyfit.get("last_page_fill", 100) < spec.short_page:
        return "short page"
    return None


def _better(trial: dict, base: dict, goal: str, budget: int | None) -> str | None:
    """How a trial improves on the layout so far: "fits" its budget, "pulled back" a
    short last page, "unstranded" a box that stood alone on it (the timeline after a
    story that ended a page before, now beside the text); None when it does not."""
    if goal == "budget":
        return "fits" if trial["pages"] <= (budget or 0) else None
    if trial["pages"] < base["pages"]:
        return "pulled back"
    if _stranded(base) and not _stranded(trial) and trial["pages"] <= base["pages"]:
        return "unstranded"
    return None


def _stranded(copyfit: dict) -> bool:
    """Whether the last page holds only what follows the story (no line of its text)."""
    return copyfit.get("end_page", copyfit.get("pages", 0)) < copyfit.get("pages", 0)


def _same(one: HtmlDocument, other: HtmlDocument) -> bool:
    return (one.html, one.extra_css, one.page_css) == (other.html, other.extra_css, other.page_css)


def _lines(copyfit: dict, budget: int | None, values: dict[str, Any]) -> int:
    """Lines of body text over the budget (positive) or left to fill (negative); without a
    budget, the lines on the last page. Counted in body lines of the layout's grid over
    its columns: a page of the text frame holds ``columns x frame / leading`` lines."""
    leading = length_mm(values.get("leading"), 4.8)
    try:
        columns = max(1, int(values.get("columns") or 1))
    except (TypeError, ValueError):
        columns = 1
    per_page = columns * copyfit.get("frame_mm", 250) / leading
    on_last = per_page * copyfit.get("last_page_fill", 100) / 100
    pages = copyfit.get("pages", 1)
    if budget is None:
        return round(on_last)
    if pages > budget:
        return round((pages - budget - 1) * per_page + on_last)
    return -round((budget - pages) * per_page + per_page - on_last)


def describe(fit: dict) -> str:
    """One line for the build summary: ``4 of 4 pages, 12 lines to spare; tracking -1%``."""
    lines = fit.get("lines", 0)
    parts = []
    if fit.get("budget"):
        amount = f"{abs(lines)} line{'s' if abs(lines) != 1 else ''}"
        where = "over" if lines > 0 else "to spare" if lines < 0 else "exactly"
        parts.append(
            f"budget {fit['budget']} pages: "
            + (f"over by {amount}" if lines > 0 else f"{amount} {where}" if lines else where)
        )
    elif fit.get("reason") == "short page":
        done = {"pulled back": "pulled back", "unstranded": "now ends with the story's text"}
        parts.append("short last page " + done.get(fit.get("result", ""), "kept"))
    if fit.get("steps"):
        parts.append("steps: " + ", ".join(fit["steps"]))
    elif fit.get("tried"):
        parts.append("no step fits (tried: " + ", ".join(fit["tried"]) + ")")
        if "lines_with_steps" in fit and fit["lines_with_steps"] > 0:
            parts.append(f"with all of them, over by {fit['lines_with_steps']} lines")
    return "; ".join(parts)
