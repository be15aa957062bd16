"""The tasks ``vrefs-train`` knows, by name; each module defines ``TASK``, an object meeting
:class:`vrefs.tasks.base.Task`. Modules are imported on first use."""

import importlib

from .base import Evaluator, Task

# name -> module (relative to this package) defining TASK
TASKS = {
    "classification": ".classification",
    "segmentation": ".segmentation",
    "detection": ".detection",
}

__all__ = ["TASKS", "Evaluator", "Task", "get_task"]


def get_task(name: str) -> Task:
    """The task registered as ``name``.

    Raises:
        ValueError: for an unknown name (listing the known ones), or a task whose module is not
            part of this installation.
    """
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of: {', '.join(TASKS)}")
    module_name = f"{__name__}{TASKS[name]}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        raise ValueError(f"the {name} task is not available: {module_name} is missing") from None
    return module.TASK
