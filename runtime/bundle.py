"""The model bundle: one folder holding everything needed to serve a trained assistant.

Layout of `<models_dir>/<model_id>/`:

    bundle.json          format version, model id, IR fingerprint, per-component
                         fingerprints of the IR parts each component was trained on
    assistant.json       the IR (canonical JSON)
    intent_classifier/   entity_tagger/   entity_matcher/   policies/
                         each written by the component's own `save` (no pickle)

`<models_dir>/latest` names the newest bundle. Bundles are written to a temporary folder
and renamed into place, and `latest` is replaced atomically, so a reader never sees a
half-written bundle. Bundles are immutable, which lets training hard-link unchanged
components from an older bundle instead of retraining them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from assistc.runtime.dialogue.actions import ActionExecutor
from assistc.runtime.dialogue.agent import Agent
from assistc.runtime.dialogue.policies import PolicyEnsemble, PolicyLoadError
from assistc.runtime.dialogue.stores import TrackerStore
from assistc.runtime.ir import Assistant
from assistc.runtime.nlu.classifier import IntentClassifier
from assistc.runtime.nlu.errors import ModelLoadError
from assistc.runtime.nlu.matcher import EntityMatcher
from assistc.runtime.nlu.pipeline import NLUModel
from assistc.runtime.nlu.tagger import EntityTagger

FORMAT_VERSION = 1
MANIFEST = "bundle.json"
IR_FILE = "assistant.json"
LATEST = "latest"
COMPONENTS = ("intent_classifier", "entity_tagger", "entity_matcher", "policies")


class BundleError(Exception):
    """A bundle is missing, corrupted, or from another format version."""


class BundleManifest(BaseModel):
    """The contents of `bundle.json`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: int
    model_id: str
    assistant: str
    ir_fingerprint: str
    seed: int
    fingerprints: dict[str, str]
    """Component name → fingerprint of the IR parts (and seed) it was trained on."""
    created_at: str
    """ISO 8601, UTC."""


@dataclass(frozen=True)
class LoadedBundle:
    path: Path
    manifest: BundleManifest
    assistant: Assistant
    nlu: NLUModel
    policies: PolicyEnsemble

    @property
    def model_id(self) -> str:
        return self.manifest.model_id

    @property
    def fingerprints(self) -> dict[str, str]:
        return dict(self.manifest.fingerprints)

    def agent(
        self,
        store: TrackerStore,
        *,
        project_dir: Path | None = None,
        executors: dict[str, ActionExecutor] | None = None,
    ) -> Agent:
        """An agent serving this bundle over `store` (Python actions from `project_dir`).
        `executors` replaces the default ones by kind; the dev loop shares one remote
        executor across swaps, so each swap does not open another HTTP client."""
        return Agent(
            self.assistant,
            self.nlu,
            self.policies,
            store,
            project_dir=project_dir,
            model_id=self.model_id,
            executors=executors,
        )


def models_dir(project_dir: Path) -> Path:
    """Where an assistant's bundles live."""
    return project_dir / ".assistc" / "models"


def resolve(path: Path) -> Path:
    """The bundle folder meant by `path`: a bundle, a models folder (its `latest`), or an
    assistant's folder (its newest bundle)."""
    if (path / MANIFEST).is_file():
        return path
    for folder in (path, models_dir(path)):
        if (folder / LATEST).is_file():
            try:
                name = (folder / LATEST).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as error:
                raise BundleError(f"{folder / LATEST}: unreadable ({error})") from None
            if not name or "/" in name or "\\" in name or name.startswith("."):
                raise BundleError(f"{folder / LATEST}: does not name a bundle")
            if not (folder / name).is_dir():
                raise BundleError(f"{folder / LATEST}: names {name!r}, which is missing; retrain")
            return folder / name
    raise BundleError(f"{path}: no trained model here (train one first)")


def read_manifest(bundle: Path) -> BundleManifest:
    """`bundle.json` of a bundle folder, checked to be of this runtime's format."""
    file = bundle / MANIFEST
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(f"{bundle}: not a model bundle (no {MANIFEST})") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BundleError(f"{file}: unreadable ({error})") from None
    version = data.get("format_version") if isinstance(data, dict) else None
    if version != FORMAT_VERSION:
        raise BundleError(
            f"{bundle}: bundle format version {version!r}, this runtime reads version "
            f"{FORMAT_VERSION}; retrain the model"
        )
    try:
        return BundleManifest.model_validate(data)
    except ValidationError as error:
        raise BundleError(f"{file}: malformed ({_first_problem(error)})") from None


def load_bundle(
    path: Path, *, assistant: Assistant | None = None, previous: LoadedBundle | None = None
) -> LoadedBundle:
    """Load a bundle (see `resolve` for what `path` may be), or raise `BundleError`.

    The dev loop passes the `assistant` it just compiled (the same IR the bundle holds,
    so it is not parsed again) and the `previous` bundle, whose in-memory components
    are reused wherever their fingerprints match: a hot swap reads only what changed."""
    bundle = resolve(path)
    manifest = read_manifest(bundle)
    if assistant is None:
        assistant = _read_ir(bundle, manifest)

    def reusable(component: str) -> bool:
        return previous is not None and previous.manifest.fingerprints.get(
            component
        ) == manifest.fingerprints.get(component)

    try:
        nlu = NLUModel.from_components(
            previous.nlu.classifier
            if previous and reusable("intent_classifier")
            else IntentClassifier.load(bundle / "intent_classifier"),
            previous.nlu.tagger
            if previous and reusable("entity_tagger")
            else EntityTagger.load(bundle / "entity_tagger"),
            previous.nlu.matcher
            if previous and reusable("entity_matcher")
            else EntityMatcher.load(bundle / "entity_matcher"),
            assistant.config,
        )
        policies = (
            previous.policies
            if previous and reusable("policies")
            else PolicyEnsemble.load(bundle / "policies")
        )
    except (ModelLoadError, PolicyLoadError) as error:
        raise BundleError(f"{bundle}: {error}") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BundleError(f"{bundle}: a component is corrupted ({error})") from None
    return LoadedBundle(bundle, manifest, assistant, nlu, policies)


def _read_ir(bundle: Path, manifest: BundleManifest) -> Assistant:
    try:
        ir_bytes = (bundle / IR_FILE).read_bytes()
    except OSError as error:
        raise BundleError(f"{bundle / IR_FILE}: unreadable ({error})") from None
    # The file is the canonical JSON the fingerprint is taken over: hashing its bytes
    # checks it without re-serialising the parsed IR.
    if hashlib.sha256(ir_bytes).hexdigest() != manifest.ir_fingerprint:
        raise BundleError(f"{bundle / IR_FILE}: does not match {MANIFEST} (corrupted)")
    try:
        return Assistant.from_json(ir_bytes.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise BundleError(f"{bundle / IR_FILE}: unreadable ({error})") from None
    except ValidationError as error:
        raise BundleError(f"{bundle / IR_FILE}: not a valid IR ({_first_problem(error)})") from None


_LOADERS: dict[str, Callable[[Path], object]] = {
    "intent_classifier": IntentClassifier.load,
    "entity_tagger": EntityTagger.load,
    "entity_matcher": EntityMatcher.load,
    "policies": PolicyEnsemble.load,
}


def component_loads(bundle: Path, name: str) -> bool:
    """Whether this runtime can load component `name` of a bundle. Training checks it
    before reusing a component, so a saved layout that changed without a format-version
    bump costs a retrain, never a bundle that cannot be served."""
    try:
        _LOADERS[name](bundle / name)
    except (ModelLoadError, PolicyLoadError, OSError, ValueError, KeyError, TypeError):
        return False
    return True


def list_bundles(folder: Path) -> list[tuple[Path, BundleManifest]]:
    """The readable bundles in a models folder, newest first."""
    found = []
    for child in sorted(folder.iterdir()) if folder.is_dir() else []:
        if child.is_dir() and not child.name.startswith("."):
            try:
                found.append((child, read_manifest(child)))
            except BundleError:
                continue
    return sorted(found, key=lambda item: item[1].created_at, reverse=True)


def write_bundle(
    folder: Path,
    manifest: BundleManifest,
    ir_json: str,
    components: Mapping[str, Callable[[Path], None]],
) -> Path:
    """Write a bundle into `folder` and make it `latest`; all or nothing.

    `ir_json` is the assistant's canonical JSON (`Assistant.to_json`); `components` maps
    each component name to a function filling its (new) subfolder.
    """
    final = folder / manifest.model_id
    temporary = folder / f".tmp-{manifest.model_id}-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(temporary, ignore_errors=True)
    try:
        temporary.mkdir()
        (temporary / IR_FILE).write_bytes(ir_json.encode("utf-8"))
        for name in COMPONENTS:
            components[name](temporary / name)
        (temporary / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        temporary.rename(final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    set_latest(folder, manifest.model_id)
    return final


def set_latest(folder: Path, model_id: str) -> None:
    pointer = folder / f".{LATEST}-{os.getpid()}"
    pointer.write_text(model_id + "\n", encoding="utf-8")
    os.replace(pointer, folder / LATEST)


def link_component(source: Path, target: Path) -> None:
    """Reuse a component folder of another bundle: hard links (bundles never change),
    copies where the file system cannot link."""

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest bundles (never `latest`); returns what was deleted."""
    latest = resolve(folder) if (folder / LATEST).is_file() else None
    bundles = [path for path, _ in list_bundles(folder) if path != latest]
    doomed = bundles[max(keep - 1, 0) :] if latest is not None else bundles[keep:]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    return doomed


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "top level"
    return f"{where}: {problem['msg']}"
