"""Tables of fit targets: target values next to the values of one or more parameter
sets (e.g. published and fitted) and their deviations."""

from __future__ import annotations

from typing import Mapping

from omm_cx.fitting.objective import Evaluation
from omm_cx.fitting.spec import FitSpec


def _value(prop: str, v: float | None) -> str:
    if v is None:
        return "failed"
    if prop in ("a_A", "c_A", "u"):
        return f"{v:.4f}"
    if prop in ("dE_eV", "E_latt_eV"):
        return f"{v:.4f}"
    return f"{v:.2f}"


def _dev(t, v: float | None) -> str:
    d = t.deviation(v)
    if d is None:
        return ""
    if t.is_bound:
        return "ok" if d == 0 else f"off by {d:.4f}"
    return f"{d:+.2f} %" if t.is_relative else f"{d:+.4f}"


def comparison_rows(spec: FitSpec, columns: Mapping[str, Evaluation]) -> list[list[str]]:
    rows = []
    for i, t in enumerate(spec.targets):
        row = [t.label, t.target_text(), f"{t.weight:g}", t.source_tag()]
        for ev in columns.values():
            v = ev.values[i]
            row += [_value(t.prop, v), _dev(t, v)]
        rows.append(row)
    return rows


def comparison_table(spec: FitSpec, columns: Mapping[str, Evaluation], *,
                     markdown: bool = False) -> str:
    """Targets (value or bounds, weight, source tag) with, per column, the computed value
    and its deviation (% for lattice constants and moduli, absolute for u and energies in
    eV per formula unit; 'ok' where a bound target is met). Ends with each column's cost."""
    head = ["target", "value", "w", "source"]
    for name in columns:
        head += [name, "dev"]
    rows = comparison_rows(spec, columns)
    foot = ["cost (0.5 sum r^2)", "", "", ""]
    for ev in columns.values():
        foot += [f"{ev.cost:.4g}", ""]
    if markdown:
        out = ["| " + " | ".join(head) + " |",
               "|" + "|".join("---" if k == 0 else "---:" for k in range(len(head))) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        out.append("| " + " | ".join(foot) + " |")
        return "\n".join(out)
    widths = [max(len(r[k]) for r in [head, foot, *rows]) for k in range(len(head))]
    fmt = lambda r: "  ".join(c.ljust(w) if k == 0 else c.rjust(w)  # noqa: E731
                              for k, (c, w) in enumerate(zip(r, widths)))
    lines = [fmt(head), "-" * len(fmt(head))] + [fmt(r) for r in rows] + [fmt(foot)]
    return "\n".join(lines)
