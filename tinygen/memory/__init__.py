from .liveness import (Buffer, ValueModel, compute_buffers, live_buffers_per_op, live_bytes_per_op,
                       value_model)
from .plan import IO_OVERLAP_NOTE, MemoryPlan, make_plan
from .planners import Overlap, Placement, PlanError, check_plan, get_planner, planner_names

__all__ = ["Buffer", "IO_OVERLAP_NOTE", "MemoryPlan", "Overlap", "PlanError", "Placement", "ValueModel",
           "check_plan", "compute_buffers", "get_planner", "live_buffers_per_op", "live_bytes_per_op",
           "make_plan", "planner_names", "value_model"]
