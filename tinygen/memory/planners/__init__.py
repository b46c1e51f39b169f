"""Arena placement algorithms behind one interface.

A planner receives buffers (size, first use, last use), an alignment and optional overlap rules,
and returns an offset for each buffer:

    planner(buffers, alignment, overlaps=(), budget=PlannerBudget()) -> Placement
                                                      (a dict: buffer id -> offset)

Rules every planner honours (`check_plan` verifies them):
  * every offset is a multiple of `alignment`;
  * two buffers live at the same time never share a byte, except where an `Overlap(below, above,
    gap)` rule allows it: `below` (an operator's output) may overlap `above` (that operator's input,
    which dies at that operator) when offset(above) - offset(below) >= gap, i.e. the output starts
    at least `gap` bytes before the input. `0 <= gap <= size(below)`; gap = 0 is a fully in-place
    operator, gap = size(below) the usual "below, touching" placement.

Planners are deterministic and selected by name (`get_planner`). The returned `Placement` also
records the arena size, the lower bound, whether the arena is proven optimal, the planner's name,
its running time and why its search stopped.

Planners:
  naive      no reuse at all (debugging)
  greedy     TFLM's greedy by size: largest first, each at the lowest offset that fits
  heuristic  the best of several greedy orders (size, first use, lifetime, size x lifetime, ...)
  bnb        branch and bound (pure Python), exact given enough nodes; fast on small problems
  milp       mixed-integer program solved by HiGHS (scipy.optimize.milp)
  exact      heuristic, then a short bnb, then milp: the default

How "exact" proves optimality. Offsets and sizes are expressed in units of the alignment (a
buffer of s bytes occupies ceil(s / alignment) units), which makes the aligned problem an integer
one without loss. The lower bound is the largest total size of the buffers live at one moment (the
layer-wise bound, in aligned units; with overlap rules the smallest stack those buffers can form).
When a heuristic reaches it, the placement is optimal and nothing else runs: the usual case for
real models. Otherwise the branch and bound runs with a small budget (it settles small problems in
milliseconds, without loading scipy), then HiGHS on the disjunctive formulation: an integer offset
per buffer, one binary per pair of buffers live at the same time choosing which lies below,
minimizing the arena with the lower bound and "strictly better than the heuristic" as bounds.
Measured on random instances where every moment is full (the hardest kind; 5 s each): on ~25
buffers both prove nearly everything; on ~50 buffers HiGHS proved 84/84, the branch and bound
39/84; on ~100 buffers HiGHS 28/40, the branch and bound 6/40. Integer offsets matter: with
continuous offsets HiGHS proved 30/40 instead of 40/40 on ~50 buffers, 2/20 instead of 15/20 on
~100.

Budget (`PlannerBudget`, one object for every planner): node limits, which are deterministic
(same input, same plan on every machine, whatever its speed), and an optional wall-clock
`time_limit`, off by default: a safety net which, when it ends a search, makes the result depend
on the machine's speed. `Placement.stopped` says which limit ended a search.

One module per algorithm: problem.py (the problem in alignment units and the greedy heuristics),
simple.py (naive, greedy, heuristic), bnb.py (branch and bound), milp.py (HiGHS), exact.py.
"""


from __future__ import annotations

from . import bnb, exact, milp, simple  # noqa: F401  (each registers its planners)
from .base import (
                   DEFAULT_BUDGET,
                   Overlap,
                   Placement,
                   PlanError,
                   PlannerBudget,
                   align_up,
                   arena_size,
                   check_plan,
                   get_planner,
                   planner,
                   planner_names,
)

__all__ = ["DEFAULT_BUDGET", "Overlap", "PlanError", "Placement", "PlannerBudget", "align_up", "arena_size",
           "check_plan", "get_planner", "planner", "planner_names"]
