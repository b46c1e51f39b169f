"""Memory planning: one service (plan.plan_memory) over any (sub)graph, planners behind one
interface (planners/), and reports (report.py)."""

from .liveness import (
                       Buffer,
                       MemoryProblem,
                       StepMemory,
                       ValueModel,
                       alias_root_map,
                       compute_buffers,
                       live_buffers_per_op,
                       live_bytes_per_op,
                       step_memory,
                       value_model,
)
from .plan import MemoryOptions, MemoryPlan, memory_options, overlap_rules, plan_memory
from .planners import (
                       DEFAULT_BUDGET,
                       Overlap,
                       Placement,
                       PlanError,
                       PlannerBudget,
                       check_plan,
                       get_planner,
                       planner_names,
)

__all__ = ["Buffer", "DEFAULT_BUDGET", "MemoryOptions", "MemoryPlan", "MemoryProblem", "Overlap", "PlanError",
           "Placement", "PlannerBudget", "StepMemory", "ValueModel", "alias_root_map", "check_plan", "compute_buffers",
           "get_planner", "live_buffers_per_op", "live_bytes_per_op", "memory_options", "overlap_rules", "plan_memory", "planner_names",
           "step_memory", "value_model"]
