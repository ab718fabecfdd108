"""`make demo`: the platform, the reference customer backend and the example device app, end to
end over real processes and sockets, with a readable report (`python -m userlink_demo`)."""

from .services import DemoSetupError, Environment, running_environment
from .story import StepResult, StoryResult, run_story

__all__ = [
    "DemoSetupError",
    "Environment",
    "StepResult",
    "StoryResult",
    "run_story",
    "running_environment",
]
