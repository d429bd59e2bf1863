"""Training with Rich progress bars (train steps, then the evaluation gate)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from agentforge.config import Paths, default_home
from agentforge.errors import TrainingError
from agentforge.learn.loop import TrainOutcome, train_module
from agentforge.learn.recipe import load_recipe
from agentforge.runtime import Engine


def progress_bar(console: Console) -> Progress:
    """The one progress-bar layout of the CLI: what, bar, done/total, elapsed."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def train_with_progress(engine: Engine, module: str, data: Paths, recipe_name: str, console: Console) -> TrainOutcome:
    from agentforge.llm.local import LocalModel
    from agentforge.llm.weights import resolve_model_dir

    if not isinstance(engine.model, LocalModel):
        raise TrainingError("training needs the local transformers back end (LoRA is trained in-process)")

    recipe = load_recipe(recipe_name)
    model_dir = resolve_model_dir(recipe.base_model, Paths(home=default_home()))
    tasks: dict[str, TaskID] = {}
    with progress_bar(console) as bar:

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task("train LoRA (steps)" if phase == "train" else phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        outcome = train_module(
            engine,
            module,
            data,
            recipe=recipe,
            model_dir=model_dir,
            base_model=recipe.base_model,
            format_text=engine.model.format_training_text,
            progress=report,
            recipe_ref=recipe_name,
        )
    r = outcome.report
    verdict = "[green]promoted[/]" if r.promoted else "[yellow]rejected[/]"
    console.print(
        f"{outcome.adapter.name}: {r.metric} {r.champion_score:.3f} → {r.candidate_score:.3f} on {r.n} held-out; "
        f"{verdict} ({r.reason})"
    )
    return outcome
