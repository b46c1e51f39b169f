from .liveness import Buffer, compute_buffers, live_bytes_per_op
from .plan import MemoryPlan, make_plan
from .planners import get_planner, planner_names

__all__ = ["Buffer", "MemoryPlan", "compute_buffers", "get_planner", "live_bytes_per_op", "make_plan", "planner_names"]
