"""Compile → build → train, as one step the CLI commands and the dev loop share."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from assistc.compiler.build import write_build
from assistc.compiler.compile import CompileCache, CompileResult, compile_with_stubs
from assistc.runtime import bundle
from assistc.runtime.training import ProgressCallback, TrainResult, train


@dataclass
class PipelineResult:
    compiled: CompileResult
    trained: TrainResult | None = None
    """None when the sources have errors (nothing was built or trained)."""
    created_stubs: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)


def compile_build_train(
    project: Path,
    *,
    seed: int | None = None,
    cache: CompileCache | None = None,
    progress: ProgressCallback | None = None,
    write_build_folder: bool = True,
    quick: bool = False,
) -> PipelineResult:
    """Check the project; when it is clean, write the build folder and stubs and train
    (reusing unchanged components). Raises BuildError, StubError, TrainingError. The dev
    loop skips the build folder (`write_build_folder`): it serves from the bundle, and
    trains `quick` (reusing the last confidence calibration)."""
    started = time.perf_counter()
    compiled, created = compile_with_stubs(project, seed=seed, cache=cache)
    timings = {"check": time.perf_counter() - started}
    if compiled.assistant is None:
        return PipelineResult(compiled, created_stubs=created, timings=timings)
    assistant = compiled.assistant
    root = compiled.sources.root
    step = time.perf_counter()
    if write_build_folder:
        write_build(root, assistant, compiled.stats)
    timings["build"] = time.perf_counter() - step
    step = time.perf_counter()
    trained = train(assistant, bundle.models_dir(root), seed=seed, progress=progress, quick=quick)
    timings["train"] = time.perf_counter() - step
    return PipelineResult(compiled, trained, created, timings)
